import BMRUModel
import Foundation

/// `DIR/batch.json`: what a batch folder was made from, so that `--resume` and `merge` can check it.
public struct BatchRecord: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var id: String
        public var index: Int
    }
    public var format = "bmru-batch-run"
    public var version = 1
    public var name: String
    public var manifest_sha256: String
    public var required_yield: Double
    /// "I/N" when the folder holds one shard
    public var shard: String?
    /// every job of the manifest (not only this shard's), in expansion order
    public var jobs: [Entry]

    public init(name: String, manifest_sha256: String, required_yield: Double, shard: String?, jobs: [Entry]) {
        self.name = name; self.manifest_sha256 = manifest_sha256; self.required_yield = required_yield
        self.shard = shard; self.jobs = jobs
    }

    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try enc.encode(self)
    }

    public static func load(dir: String) throws -> BatchRecord {
        let path = dir + "/batch.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchError(kind: .merge, file: path, reason: "not a batch folder (batch.json is missing)")
        }
        do {
            return try JSONDecoder().decode(BatchRecord.self, from: data)
        } catch {
            throw BatchError(kind: .merge, file: path, reason: "unreadable batch record: \(error)")
        }
    }
}

/// `DIR/summary.json`: the batch's verdict and the distributions per network and condition. Only job results
/// go into it (no wall times, no folder names), so a merged set of shards gives the same bytes as one run.
public struct BatchSummary: Codable, Equatable, Sendable {
    public struct Stats: Codable, Equatable, Sendable {
        public var count: Int
        public var min: Double
        public var p10: Double
        public var median: Double
        public var mean: Double
        public var max: Double

        static func of(_ values: [Double]) -> Stats? {
            let v = values.filter { $0.isFinite }.sorted()
            guard !v.isEmpty else { return nil }
            func q(_ p: Double) -> Double {
                // linear interpolation between closest ranks
                let x = p * Double(v.count - 1)
                let i = Int(x.rounded(.down)), f = x - Double(i)
                return i + 1 < v.count ? v[i] + (v[i + 1] - v[i]) * f : v[i]
            }
            var sum = 0.0
            for x in v { sum += x }
            return Stats(count: v.count, min: v[0], p10: q(0.1), median: q(0.5), mean: sum / Double(v.count), max: v[v.count - 1])
        }
    }

    public struct Group: Codable, Equatable, Sendable {
        public var network: String
        public var network_sha256: String
        public var corner: String
        public var temperature_c: Double
        public var vdd: Double
        /// sha256 of the calibration tables the group's decks were emitted with; nil: nominal sizes
        public var calibration_sha256: String?
        public var jobs: Int
        public var passed: Int
        /// jobs without a report
        public var failed: Int
        /// passed / jobs
        public var yield: Double
        public var mismatch_samples: Int
        public var stimuli: Int
        public var state_agreement: Stats?
        public var decision_agreement: Stats?
        /// fraction of jobs (with a report) whose sequence-level decision agrees
        public var sequence_decision_agreement: Double?
        public var power_w_total: Stats?
        /// input-noise σ of the group's jobs (nil: no noise; absent from the JSON then)
        public var noise_sigma: Double? = nil
        /// noise robustness of the group's jobs with a report (noise groups only)
        public var noise: NoiseStats? = nil
    }

    /// Per noise group: each job's noisy run against the ideal model on the clean stimulus (AgreementReport.noise).
    public struct NoiseStats: Codable, Equatable, Sendable {
        /// distinct noise seeds (draws) in the group
        public var noise_samples: Int
        /// fraction of (frame, unit) states differing, circuit on the noisy input, first / second half of the frames
        public var state_difference_first_half: Stats?
        public var state_difference_second_half: Stats?
        /// the same for the behavioural model on the noisy input
        public var model_state_difference_first_half: Stats?
        public var model_state_difference_second_half: Stats?
        /// jobs whose circuit (model) sequence decision differs from the clean reference's, of `decision_jobs`
        public var decision_changes: Int
        public var model_decision_changes: Int
        /// jobs with a sequence decision (last layer with ≥ 2 outputs)
        public var decision_jobs: Int
    }

    public struct JobLine: Codable, Equatable, Sendable {
        public var id: String
        public var index: Int
        public var network: String
        public var stimulus: String
        public var corner: String
        public var temperature_c: Double
        public var vdd: Double
        public var mismatch_seed: UInt64?
        public var status: String
        public var pass: Bool
        public var state_agreement: Double?
        public var decision_agreement: Double?
        public var power_w_total: Double?
        /// why it failed (the first reason)
        public var reason: String?
        /// relative to the batch folder
        public var report: String
        /// the job's input noise (nil: none)
        public var noise_sigma: Double? = nil
        public var noise_seed: UInt64? = nil
    }

    public var format = "bmru-batch-summary"
    public var version = 1
    public var batch: String
    public var manifest_sha256: String
    public var shard: String?
    public var jobs_expected: Int
    public var jobs_done: Int
    public var jobs_passed: Int
    /// jobs without a report (ngspice error, worker died twice, bad input)
    public var jobs_failed: Int
    public var jobs_missing: Int
    /// ids of missing jobs (first 100)
    public var missing: [String]
    /// every expected job has a result
    public var complete: Bool
    /// passed / done
    public var yield: Double
    public var required_yield: Double
    /// complete and yield ≥ required_yield
    public var pass: Bool
    public var groups: [Group]
    /// failed jobs first, then the lowest agreements (at most 20)
    public var worst: [JobLine]

    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(self)
    }

    public static func decode(_ data: Data) throws -> BatchSummary {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try dec.decode(BatchSummary.self, from: data)
    }

    static func line(_ r: BatchJobResult) -> JobLine {
        let j = r.job
        let reason = r.error.map { "\($0.kind): \($0.message)" } ?? r.report?.failures.first
        return JobLine(id: j.id, index: j.index, network: j.network_name, stimulus: j.stimulus.label, corner: j.corner,
                       temperature_c: j.temperature_c, vdd: j.vdd, mismatch_seed: j.mismatch_seed, status: r.status,
                       pass: r.pass, state_agreement: r.report?.state_agreement, decision_agreement: r.report?.decision_agreement,
                       power_w_total: r.report?.power_w["total"], reason: reason,
                       report: "jobs/\(j.id)/" + (r.status == "ok" ? "report.html" : "error.log"),
                       noise_sigma: j.inputNoise?.sigma, noise_seed: j.inputNoise?.seed)
    }

    static func noiseStats(_ g: [BatchJobResult]) -> NoiseStats {
        let n = g.compactMap { $0.report?.noise }
        let withDecision = n.filter { $0.reference_sequence_decision != nil }
        return NoiseStats(noise_samples: Set(g.compactMap { $0.job.inputNoise?.seed }).count,
                          state_difference_first_half: Stats.of(n.compactMap(\.circuit.state_difference_first_half)),
                          state_difference_second_half: Stats.of(n.compactMap(\.circuit.state_difference_second_half)),
                          model_state_difference_first_half: Stats.of(n.compactMap(\.model.state_difference_first_half)),
                          model_state_difference_second_half: Stats.of(n.compactMap(\.model.state_difference_second_half)),
                          decision_changes: withDecision.filter { $0.circuit.decision_changed == true }.count,
                          model_decision_changes: withDecision.filter { $0.model.decision_changed == true }.count,
                          decision_jobs: withDecision.count)
    }

    /// Summarises results against the expected job ids.
    public static func make(name: String, manifestSHA256: String, shard: String?, requiredYield: Double,
                            expected: [String], results: [BatchJobResult]) -> BatchSummary {
        let expectedSet = Set(expected)
        let rs = results.filter { expectedSet.contains($0.job.id) }.sorted { $0.job.index < $1.job.index }
        let have = Set(rs.map(\.job.id))
        let missing = expected.filter { !have.contains($0) }
        let passed = rs.filter(\.pass).count
        let failed = rs.filter { $0.status != "ok" }.count
        let yield = rs.isEmpty ? 0 : Double(passed) / Double(rs.count)

        struct Key: Hashable { var net: String; var corner: String; var t: Double; var v: Double; var noise: Double? }
        var order: [Key] = []
        var byKey: [Key: [BatchJobResult]] = [:]
        for r in rs {
            let k = Key(net: r.job.network_sha256, corner: r.job.corner, t: r.job.temperature_c, v: r.job.vdd, noise: r.job.inputNoise?.sigma)
            if byKey[k] == nil { order.append(k) }
            byKey[k, default: []].append(r)
        }
        // first appearance in expansion order: network, stimulus, corner, temperature, VDD
        let cornerRank = ["typical": 0, "ff": 1, "ss": 2, "fs": 3, "sf": 4]
        let firstIndex = Dictionary(uniqueKeysWithValues: order.map { ($0, byKey[$0]!.map(\.job.index).min()!) })
        order.sort { a, b in
            if a.net != b.net { return firstIndex[a]! < firstIndex[b]! }
            if a.corner != b.corner { return (cornerRank[a.corner] ?? 9, a.corner) < (cornerRank[b.corner] ?? 9, b.corner) }
            if a.t != b.t { return a.t < b.t }
            if a.v != b.v { return a.v < b.v }
            return (a.noise ?? 0) < (b.noise ?? 0)
        }
        let groups: [Group] = order.map { k in
            let g = byKey[k]!
            let ok = g.compactMap(\.report)
            let seq = ok.compactMap { $0.decision?.sequence_agrees }
            return Group(network: g[0].job.network_name, network_sha256: k.net, corner: k.corner, temperature_c: k.t, vdd: k.v,
                         calibration_sha256: g[0].job.calibration?.sha256,
                         jobs: g.count, passed: g.filter(\.pass).count, failed: g.filter { $0.status != "ok" }.count,
                         yield: Double(g.filter(\.pass).count) / Double(g.count),
                         mismatch_samples: Set(g.compactMap(\.job.mismatch_seed)).count,
                         stimuli: Set(g.map(\.job.stimulus.label)).count,
                         state_agreement: Stats.of(ok.map(\.state_agreement)),
                         decision_agreement: Stats.of(ok.map(\.decision_agreement)),
                         sequence_decision_agreement: seq.isEmpty ? nil : Double(seq.filter { $0 }.count) / Double(seq.count),
                         power_w_total: Stats.of(ok.compactMap { $0.power_w["total"] }),
                         noise_sigma: k.noise, noise: k.noise == nil ? nil : noiseStats(g))
        }
        let worst = rs.sorted { a, b in
            func rank(_ r: BatchJobResult) -> (Int, Double, Double, Int) {
                (r.status != "ok" ? 0 : (r.pass ? 2 : 1), r.report?.state_agreement ?? -1, r.report?.decision_agreement ?? -1, r.job.index)
            }
            return rank(a) < rank(b)
        }.prefix(20).map(line)
        let complete = missing.isEmpty
        return BatchSummary(batch: name, manifest_sha256: manifestSHA256, shard: shard, jobs_expected: expected.count,
                            jobs_done: rs.count, jobs_passed: passed, jobs_failed: failed, jobs_missing: missing.count,
                            missing: Array(missing.prefix(100)), complete: complete, yield: yield, required_yield: requiredYield,
                            pass: complete && !rs.isEmpty && yield >= requiredYield, groups: groups, worst: Array(worst))
    }
}

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

    public static func markdown(_ s: BatchSummary) -> String {
        var o = "## Batch `\(s.batch)`\(s.shard.map { " (shard \($0))" } ?? ""): \(s.pass ? "PASS" : "FAIL")\n\n"
        o += "| jobs | done | passed | failed (no report) | missing | yield | required |\n|---|---|---|---|---|---|---|\n"
        o += "| \(s.jobs_expected) | \(s.jobs_done) | \(s.jobs_passed) | \(s.jobs_failed) | \(s.jobs_missing) | \(pct(s.yield)) | \(pct(s.required_yield)) |\n\n"
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
            o += "| network | conditions | noise σ | draws | circuit first half | circuit second half | model first half | model second half | decisions changed circuit / model |\n"
            o += "|---|---|---|---|---|---|---|---|---|\n"
            for g in s.groups {
                guard let n = g.noise, let sigma = g.noise_sigma else { continue }
                o += "| \(g.network) | \(g.corner) \(num(g.temperature_c)) °C \(num(g.vdd)) V | \(num(sigma)) | \(n.noise_samples) | \(meanMax(n.state_difference_first_half)) | \(meanMax(n.state_difference_second_half)) | "
                o += "\(meanMax(n.model_state_difference_first_half)) | \(meanMax(n.model_state_difference_second_half)) | \(decisionChanges(n)) |\n"
            }
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
        o += "<h2>Per network and condition</h2>\n<p>Each dot is one job (a stimulus or a Monte Carlo sample): its state agreement; red dots did not pass.</p>\n"
        let noisy = s.groups.contains { $0.noise_sigma != nil }
        o += "<table><tr><th class=l>network</th><th class=l>corner</th><th class=l>sizes</th><th>°C</th><th>VDD</th>\(noisy ? "<th>noise σ</th>" : "")<th>jobs</th><th>yield</th><th>state agreement (min / median / max)</th><th>distribution</th><th>decision agreement (mean)</th><th>sequence decisions</th><th>power mean (W)</th></tr>\n"
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
            o += "<table><tr><th class=l>network</th><th class=l>conditions</th><th>noise σ</th><th>draws</th><th>circuit first half</th><th>circuit second half</th><th>model first half</th><th>model second half</th><th>decisions changed circuit / model</th></tr>\n"
            for g in s.groups {
                guard let n = g.noise, let sigma = g.noise_sigma else { continue }
                o += "<tr><td class=l>\(e(g.network))</td><td class=l>\(e(g.corner)) \(num(g.temperature_c)) °C \(num(g.vdd)) V</td><td>\(num(sigma))</td><td>\(n.noise_samples)</td>"
                o += "<td>\(meanMax(n.state_difference_first_half))</td><td>\(meanMax(n.state_difference_second_half))</td><td>\(meanMax(n.model_state_difference_first_half))</td><td>\(meanMax(n.model_state_difference_second_half))</td><td>\(decisionChanges(n))</td></tr>\n"
            }
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

    /// A strip plot of the jobs' state agreement on [lo, 1].
    static func strip(_ rs: [BatchJobResult]) -> String {
        let w = 220.0, h = 22.0
        let values = rs.compactMap { r in r.report.map { ($0.state_agreement, r.pass) } }
        let lo = min(0.9, (values.map(\.0).min() ?? 1) - 0.01)
        var o = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\">"
        o += "<title>state agreement from \(pct(lo)) (left) to 100 % (right)</title>"
        o += "<line x1=\"4\" y1=\"\(h / 2)\" x2=\"\(w - 4)\" y2=\"\(h / 2)\" stroke=\"#bbb\"/>"
        for (i, (v, pass)) in values.enumerated() {
            let x = 4 + (w - 8) * (max(v, lo) - lo) / (1 - lo)
            let y = h / 2 + Double(i % 5 - 2) * 2.5
            o += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"", x, y) + " fill=\"\(pass ? "#2a7" : "#d22")\" fill-opacity=\"0.7\"/>"
        }
        return o + "</svg>"
    }
}
