import BMRUModel
import CoSim
import Foundation

/// Summary files: summary.json, summary.md, summary.html, junit.xml.
public enum BatchReportWriter {
    /// the files `writeAll` writes
    public static let fileNames = ["summary.md", "summary.html", "junit.xml", "summary.json"]

    public static func writeAll(_ s: BatchSummary, results: [BatchJobResult], to dir: String) throws {
        let sorted = results.sorted { $0.job.index < $1.job.index }
        let files: [(String, Data)] = [
            ("summary.md", Data(markdown(s).utf8)),
            ("summary.html", Data(html(s, results: sorted).utf8)),
            ("junit.xml", Data(junit(s, results: sorted).utf8)),
            ("summary.json", try s.json()),
        ]
        for (name, data) in files {
            try ReportWriter.atomicWrite(data, to: dir + "/" + name)
        }
    }

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", $0 * 100) } ?? "–" }
    static func sci(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.3g", $0) : "\($0)" } ?? "–" }
    static func num(_ x: Double) -> String { NumberText.short(x) }
    /// how the group's decks were sized
    static func sizes(_ g: BatchSummary.Group) -> String { g.calibration_sha256.map { "calibrated (\($0.prefix(8)))" } ?? "nominal" }

    static func noiseLabel(_ sigma: Double?) -> String { sigma.map(num) ?? "0" }
    /// ", noise σ 0.05 seed 3" (empty without noise)
    static func noiseSuffix(_ sigma: Double?, _ seed: UInt64?) -> String {
        guard let sigma else { return "" }
        return ", noise σ \(num(sigma)) seed \(seed.map(String.init) ?? "1")"
    }
    static func meanMax(_ x: BatchSummary.Stats?) -> String { x.map { "\(pct($0.mean)) / \(pct($0.max))" } ?? "–" }
    static func decisionChanges(_ n: BatchSummary.NoiseStats) -> String {
        n.decision_jobs > 0 ? "\(n.decision_changes) / \(n.model_decision_changes) of \(n.decision_jobs)" : "–"
    }

    /// The noise robustness table of Markdown and HTML alike: its header, and a row per group with noise.
    static let noiseHeader = ["network", "conditions", "noise σ", "draws", "circuit first half", "circuit second half",
                              "model first half", "model second half", "decisions changed circuit / model"]
    static func noiseRows(_ s: BatchSummary) -> [[String]] {
        s.groups.compactMap { g in
            guard let n = g.noise, let sigma = g.noise_sigma else { return nil }
            return [g.network, "\(g.corner) \(num(g.temperature_c)) °C \(num(g.vdd)) V", num(sigma), "\(n.noise_samples)",
                    meanMax(n.state_difference_first_half), meanMax(n.state_difference_second_half),
                    meanMax(n.model_state_difference_first_half), meanMax(n.model_state_difference_second_half), decisionChanges(n)]
        }
    }

    /// What the Monte Carlo samples were and what they were judged against, in words; nil without samples.
    static func mismatchMode(_ s: BatchSummary) -> String? {
        let modes = Set(s.groups.compactMap(\.mismatch_mode))
        guard !modes.isEmpty else { return nil }
        var parts: [String] = []
        if modes.contains("shared") {
            parts.append("shared samples (bmru's per-device offsets in the deck; each job judged against the circuit-aware model of the same sample, so the yield says whether the twin predicted the circuit)")
        }
        if modes.contains("pdk") {
            parts.append("PDK samples (the foundry's statistical models drawn by ngspice; judged against the ideal model, which does not see the mismatch)")
        }
        return "Mismatch: " + parts.joined(separator: "; ") + "."
    }

    public static func markdown(_ s: BatchSummary) -> String {
        var o = "## Batch `\(s.batch)`\(s.shard.map { " (shard \($0))" } ?? ""): \(s.pass ? "PASS" : "FAIL")\n\n"
        o += "| jobs | done | passed | failed (no report) | missing | yield | required |\n|---|---|---|---|---|---|---|\n"
        o += "| \(s.jobs_expected) | \(s.jobs_done) | \(s.jobs_passed) | \(s.jobs_failed) | \(s.jobs_missing) | \(pct(s.yield)) | \(pct(s.required_yield)) |\n\n"
        if let mode = mismatchMode(s) { o += mode + "\n\n" }
        let noisy = s.groups.contains { $0.noise_sigma != nil }
        o += "| network | corner | sizes | °C | VDD |\(noisy ? " noise σ |" : "") jobs | yield | state agreement min / median / mean | decision agreement min / mean | sequence decisions | power mean (W) |\n"
        o += "|---|---|---|---|---|\(noisy ? "---|" : "")---|---|---|---|---|---|\n"
        for g in s.groups {
            let sa = g.state_agreement.map { "\(pct($0.min)) / \(pct($0.median)) / \(pct($0.mean))" } ?? "–"
            let da = g.decision_agreement.map { "\(pct($0.min)) / \(pct($0.mean))" } ?? "–"
            o += "| \(g.network) | \(g.corner) | \(sizes(g)) | \(num(g.temperature_c)) | \(num(g.vdd)) |\(noisy ? " \(noiseLabel(g.noise_sigma)) |" : "") \(g.jobs) | \(pct(g.yield)) | \(sa) | \(da) | \(pct(g.sequence_decision_agreement)) | \(sci(g.power_w_total?.mean)) |\n"
        }
        if noisy {
            o += "\n**Noise robustness** (each noisy run against the ideal model on the clean stimulus: fraction of (frame, unit) states that differ, "
            o += "mean / max over the draws, in the first and the second half of the frames; jobs whose sequence decision changed)\n\n"
            o += "| " + noiseHeader.joined(separator: " | ") + " |\n"
            o += "|" + String(repeating: "---|", count: noiseHeader.count) + "\n"
            for row in noiseRows(s) { o += "| " + row.joined(separator: " | ") + " |\n" }
        }
        let bad = s.worst.filter { !$0.pass }
        if !bad.isEmpty {
            o += "\n**Worst jobs**\n\n| job | conditions | stimulus | seed | state agr. | decision agr. | reason |\n|---|---|---|---|---|---|---|\n"
            for j in bad.prefix(10) {
                o += "| [\(j.id)](\(j.report)) | \(j.network) \(j.corner) \(num(j.temperature_c)) °C \(num(j.vdd)) V | \(j.stimulus) | \(j.mismatch_seed.map(String.init) ?? "nominal")\(noiseSuffix(j.noise_sigma, j.noise_seed)) | \(pct(j.state_agreement)) | \(pct(j.decision_agreement)) | \(j.reason ?? "") |\n"
            }
        }
        if s.jobs_missing > 0 {
            o += "\n\(s.jobs_missing) job(s) have no result yet (run again with --resume, or merge every shard).\n"
        }
        return o
    }

    public static func junit(_ s: BatchSummary, results: [BatchJobResult]) -> String {
        var suites: [String: [BatchJobResult]] = [:]
        var order: [String] = []
        for r in results {
            let k = "\(r.job.network_name).\(r.job.corner).\(num(r.job.temperature_c))C.\(num(r.job.vdd))V"
            if suites[k] == nil { order.append(k) }
            suites[k, default: []].append(r)
        }
        let failures = results.filter { $0.status == "ok" && !$0.pass }.count
        let errors = results.filter { $0.status != "ok" }.count
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<testsuites name=\"bmru-batch \(XML.escape(s.batch))\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for k in order {
            let rs = suites[k]!
            o += "  <testsuite name=\"\(XML.escape(k))\" tests=\"\(rs.count)\" failures=\"\(rs.filter { $0.status == "ok" && !$0.pass }.count)\" errors=\"\(rs.filter { $0.status != "ok" }.count)\">\n"
            for r in rs {
                let name = "\(r.job.stimulus.label) \(r.job.mismatch_seed.map { "seed \($0)" } ?? "nominal")\(noiseSuffix(r.job.inputNoise?.sigma, r.job.inputNoise?.seed)) [\(r.job.id)]"
                o += "    <testcase classname=\"batch.\(XML.escape(k))\" name=\"\(XML.escape(name))\""
                if r.status != "ok" {
                    let e = r.error
                    o += ">\n      <error message=\"\(XML.escape(e?.message ?? "failed"))\">\(XML.escape((e?.lines ?? []).joined(separator: "\n")))</error>\n    </testcase>\n"
                } else if !r.pass {
                    o += ">\n      <failure message=\"\(XML.escape(r.report?.failures.joined(separator: "; ") ?? "agreement short"))\"/>\n    </testcase>\n"
                } else {
                    o += "/>\n"
                }
            }
            o += "  </testsuite>\n"
        }
        o += "</testsuites>\n"
        return o
    }

    public static func html(_ s: BatchSummary, results: [BatchJobResult]) -> String {
        func e(_ t: String) -> String { XML.escape(t) }
        var o = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Batch \(e(s.batch))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
        th{background:#f3f3f3}td.l,th.l{text-align:left}.pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}
        svg{background:#fafafa;border:1px solid #ddd}
        </style></head><body>

        """
        o += "<h1>Batch <code>\(e(s.batch))</code>\(s.shard.map { " (shard \(e($0)))" } ?? ""): <span class=\"\(s.pass ? "pass" : "fail")\">\(s.pass ? "PASS" : "FAIL")</span></h1>\n"
        o += "<table><tr><th>jobs</th><th>done</th><th>passed</th><th>failed (no report)</th><th>missing</th><th>yield</th><th>required</th></tr>"
        o += "<tr><td>\(s.jobs_expected)</td><td>\(s.jobs_done)</td><td>\(s.jobs_passed)</td><td>\(s.jobs_failed)</td><td>\(s.jobs_missing)</td><td>\(pct(s.yield))</td><td>\(pct(s.required_yield))</td></tr></table>\n"
        if let mode = mismatchMode(s) { o += "<p>\(e(mode))</p>\n" }
        o += "<h2>Per network and condition</h2>\n<p>Each dot is one job (a stimulus or a Monte Carlo sample): its state agreement; red dots did not pass.</p>\n"
        let noisy = s.groups.contains { $0.noise_sigma != nil }
        o += "<table><tr><th class=l>network</th><th class=l>corner</th><th class=l>sizes</th><th>°C</th><th>VDD</th>\(noisy ? "<th>noise σ</th>" : "")<th>jobs</th><th>yield</th><th>state agreement (min / median / max)</th><th>distribution (state agreement, %; red: did not pass)</th><th>decision agreement (mean)</th><th>sequence decisions</th><th>power mean (W)</th></tr>\n"
        for g in s.groups {
            let members = results.filter { $0.job.network_sha256 == g.network_sha256 && $0.job.corner == g.corner &&
                $0.job.temperature_c == g.temperature_c && $0.job.vdd == g.vdd && $0.job.inputNoise?.sigma == g.noise_sigma }
            o += "<tr><td class=l>\(e(g.network))</td><td class=l>\(e(g.corner))</td><td class=l>\(e(sizes(g)))</td><td>\(num(g.temperature_c))</td><td>\(num(g.vdd))</td>\(noisy ? "<td>\(noiseLabel(g.noise_sigma))</td>" : "")<td>\(g.jobs)</td><td>\(pct(g.yield))</td>"
            o += "<td>\(g.state_agreement.map { "\(pct($0.min)) / \(pct($0.median)) / \(pct($0.max))" } ?? "–")</td><td>\(strip(members))</td>"
            o += "<td>\(pct(g.decision_agreement?.mean))</td><td>\(pct(g.sequence_decision_agreement))</td><td>\(sci(g.power_w_total?.mean))</td></tr>\n"
        }
        o += "</table>\n"
        if noisy {
            o += "<h2>Noise robustness</h2>\n<p>Each noisy run against the ideal model on the clean stimulus: fraction of (frame, unit) states that differ, mean / max over the draws, in the first and the second half of the frames (if noise accumulated, the second half would be worse); jobs whose sequence decision changed.</p>\n"
            // the first two columns (network, conditions) are text, left-aligned
            func cells(_ row: [String], _ tag: String) -> String {
                row.enumerated().map { i, c in "<\(tag)\(i < 2 ? " class=l" : "")>\(e(c))</\(tag)>" }.joined()
            }
            o += "<table><tr>" + cells(noiseHeader, "th") + "</tr>\n"
            for row in noiseRows(s) { o += "<tr>" + cells(row, "td") + "</tr>\n" }
            o += "</table>\n"
        }
        o += "<h2>Worst jobs</h2>\n<table><tr><th class=l>job</th><th class=l>network</th><th class=l>conditions</th><th class=l>stimulus</th><th>mismatch seed</th><th class=l>status</th><th>state agreement</th><th>decision agreement</th><th class=l>reason</th></tr>\n"
        for j in s.worst {
            o += "<tr><td class=l><a href=\"\(e(j.report))\">\(e(j.id))</a></td><td class=l>\(e(j.network))</td><td class=l>\(e(j.corner)) \(num(j.temperature_c)) °C \(num(j.vdd)) V</td>"
            o += "<td class=l>\(e(j.stimulus))</td><td>\(j.mismatch_seed.map(String.init) ?? "nominal")\(e(noiseSuffix(j.noise_sigma, j.noise_seed)))</td>"
            o += "<td class=l><span class=\"\(j.pass ? "pass" : "fail")\">\(j.status == "ok" ? (j.pass ? "pass" : "short") : "failed")</span></td>"
            o += "<td>\(pct(j.state_agreement))</td><td>\(pct(j.decision_agreement))</td><td class=l>\(e(j.reason ?? ""))</td></tr>\n"
        }
        o += "</table>\n"
        if s.jobs_missing > 0 {
            o += "<p class=fail>\(s.jobs_missing) job(s) have no result yet.</p>\n"
        }
        o += "</body></html>\n"
        return o
    }

    /// A strip plot of the jobs' state agreement on [lo, 1], in %, with the axis labelled at its ends and ticks.
    static func strip(_ rs: [BatchJobResult]) -> String {
        let values = rs.compactMap { r in r.report.map { ($0.state_agreement, r.pass) } }
        let lo = min(0.9, (values.map(\.0).min() ?? 1) - 0.01)
        var p = Plot(width: 260, height: 44, x: PlotAxis(lo * 100, 100, title: "", target: 4), y: .none,
                     title: "state agreement from \(pct(lo)) (left) to 100 % (right)")
        p.left = 16; p.right = 16
        p.line([(lo * 100, 0.5), (100, 0.5)], stroke: "#bbb", width: 1)
        for (i, (v, pass)) in values.enumerated() {
            p.dots([(max(v, lo) * 100, 0.5 + Double(i % 5 - 2) * 0.12)], r: 2.5, fill: pass ? "#2a7" : "#d22", opacity: 0.7)
        }
        return p.svg
    }
}
