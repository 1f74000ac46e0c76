import BMRUModel
import Foundation

/// Renders a co-simulation into report files. Pure functions returning text; `writeAll` writes them
/// atomically into a folder.
public enum ReportWriter {
    /// The names `writeAll` writes (and deck.raw, which `ngspice -b deck.sp` writes beside the deck).
    public static let folderNames: Set<String> = ["stimulus-noisy.csv", "deck.sp", "deck.mapping.json", "waveforms.csv", "report.md",
                                                  "report.html", "junit.xml", "report.json", "deck.raw"]

    /// Writes the folder `dir` as a whole: report.json, report.md, report.html, junit.xml, waveforms.csv, deck.sp
    /// and deck.mapping.json, and with input noise stimulus-noisy.csv (the stimulus the deck and the model ran on).
    /// Everything goes into a temporary folder beside `dir` that is renamed into place when complete (replacing an
    /// earlier report there only then), so a failed run leaves no partial report and no junit.xml.
    /// Throws `FormatError(kind: .io)` naming the path and the errno reason.
    public static func writeAll(_ outcome: CoSimOutcome, to dir: String) throws {
        try AtomicFolder.write(dir, replaceable: folderNames, last: ["report.json", "junit.xml"]) { tmp in
            try writeFiles(outcome, into: tmp)
        }
    }

    /// Writes the report files into an existing folder that nobody reads yet (a temporary folder).
    /// junit.xml and report.json come last.
    public static func writeFiles(_ outcome: CoSimOutcome, into dir: String) throws {
        let noisy: [(String, Data)] = outcome.noisyStimulus.map { [("stimulus-noisy.csv", Data(StimulusFile.csv($0).utf8))] } ?? []
        let files: [(String, Data)] = noisy + [
            ("deck.sp", Data(outcome.simulatedDeck.utf8)),
            ("deck.mapping.json", outcome.deck.mappingJSON),
            ("waveforms.csv", Data(waveformsCSV(outcome.traces).utf8)),
            ("report.md", Data(markdown(outcome.report).utf8)),
            ("report.html", Data(HTMLReport.render(outcome.report, outcome.traces, rawKept: outcome.rawFile != nil).utf8)),
            ("junit.xml", Data(junit(outcome.report).utf8)),
            ("report.json", try outcome.report.json()),
        ]
        if let raw = outcome.rawFile {
            // the whole transient as ngspice wrote it (`--keep-raw`): moved in, not copied (it can be large)
            do { try FileManager.default.moveItem(atPath: raw, toPath: dir + "/deck.raw") } catch {
                throw FormatError(file: dir + "/deck.raw", field: "", reason: "cannot move the raw file \(raw) here: \(error.localizedDescription)", kind: .io)
            }
        }
        for (name, data) in files {
            try FileOutput.write(data, to: dir + "/" + name)
        }
    }

    /// Writes one file atomically (temporary name, then a rename); throws `FormatError(kind: .io)` naming the
    /// path and the errno reason.
    public static func atomicWrite(_ data: Data, to path: String) throws {
        try AtomicWrite.write(data, to: path)
    }

    /// One row per frame: the circuit and model value of every series.
    public static func waveformsCSV(_ t: CoSimTraces) -> String {
        var header = ["frame", "time_s"]
        for s in t.series {
            header.append("circuit:" + s.name)
            if s.model != nil { header.append("model:" + s.name) }
        }
        var out = header.joined(separator: ",") + "\n"
        for k in 0..<t.frames {
            var row = ["\(k)", "\(Double(k + 1) * t.framePeriod)"]
            for s in t.series {
                row.append(k < s.circuit.count ? "\(s.circuit[k])" : "")
                if let m = s.model { row.append(k < m.count ? "\(m[k])" : "") }
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    static func pct(_ x: Double) -> String { String(format: "%.2f %%", x * 100) }
    static func sci(_ x: Double) -> String { x.isFinite ? String(format: "%.3g", x) : "\(x)" }
    /// watts as nanowatts with two decimals
    static func nanowatts(_ w: Double) -> String { w.isFinite ? String(format: "%.2f", w * 1e9) : "\(w)" }

    /// Short Markdown summary (fits a CI job summary).
    public static func markdown(_ r: AgreementReport) -> String {
        var s = "## Co-simulation of `\(r.network.name)`: \(r.pass ? "PASS" : "FAIL")\n\n"
        s += "| metric | value |\n|---|---|\n"
        s += "| frames × units | \(r.frames) × \(r.units) |\n"
        s += "| state agreement (non-ambiguous) | \(pct(r.state_agreement)) (required \(pct(r.thresholds.required_state_agreement))) |\n"
        s += "| ambiguous pairs (margin \(r.ambiguous.margin_units) units) | \(r.ambiguous.count) |\n"
        if let o = r.one_step {
            s += "| one-step state agreement (from the circuit's previous states) | \(pct(o.agreement)) (\(o.ambiguous) ambiguous) |\n"
        }
        s += "| decision agreement (non-ambiguous frames) | \(pct(r.decision_agreement))\(r.decision.map { " (\($0.ambiguous_frames) ambiguous)" } ?? "") |\n"
        if let d = r.decision {
            s += "| sequence decision circuit / model | \(d.circuit_sequence_decision) / \(d.model_sequence_decision) |\n"
        }
        s += "| average power | \(sci(r.power_w["total"] ?? 0)) W |\n"
        s += "| conditions | \(r.conditions.corner), \(r.conditions.vdd) V, \(r.conditions.temperature_c) °C |\n"
        if let f = r.conditions.deck_file { s += "| deck | supplied: \(f) (not the emitted deck) |\n" }
        if let f = r.first_divergence {
            s += "\n**First divergence:** frame \(f.frame), `\(f.layer)[\(f.unit)]`: circuit \(f.circuit_state), model \(f.model_state); "
            s += "model candidate \(sci(f.model_candidate)) (θ_low \(sci(f.theta_low)), θ_high \(sci(f.theta_high)))"
            if let c = f.circuit_candidate { s += ", circuit candidate \(sci(c))" }
            if let p = f.path_dependent_from {
                s += "; this unit's state is path dependent at frame \(p) (the inputs ramped between frames end in the other state)"
            }
            s += "\n"
        }
        if let p = r.path_dependence {
            s += "\n**Path-dependent pairs:** \(p.count) (frame, unit) pairs end in another state when the inputs move linearly "
            s += "from the previous frame's values (\(p.substeps) steps) instead of jumping: "
            s += p.pairs.prefix(8).map { "`\($0.layer)[\($0.unit)]` frame \($0.frame) (\($0.stepped_state) → \($0.ramp_state))" }.joined(separator: ", ")
            s += p.count > 8 ? ", …\n" : "\n"
        }
        let compared = r.layers.values.first?.frames_compared ?? r.frames
        s += "\nCurrent errors over the \(compared) of \(r.frames) frames where every state agrees:\n"
        s += "\n| layer | kind | RMS error (A) | max error (A) | RMS rel. error | states |\n|---|---|---|---|---|---|\n"
        for name in r.layers.keys.sorted() {
            let l = r.layers[name]!
            s += "| \(name) | \(l.kind) | \(sci(l.rms_error_a)) | \(sci(l.max_abs_error_a)) | \(l.rms_rel_error.map(pct) ?? "n/a (model current 0)") | \(l.state_agreement.map(pct) ?? "") |\n"
        }
        if let parts = r.power_parts, !parts.isEmpty {
            s += "\nAverage power by function (nW; the parts add up to the total):\n\n| layer | part | nW |\n|---|---|---|\n"
            for p in parts { s += "| \(p.layer ?? "shared") | \(p.part.replacingOccurrences(of: "_", with: " ")) | \(nanowatts(p.watts)) |\n" }
            s += "| **total** | | **\(nanowatts(r.power_w["total"] ?? 0))** |\n"
        }
        if let n = r.noise {
            s += "\n" + noiseMarkdown(n)
        }
        if !r.failures.isEmpty {
            s += "\n" + r.failures.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return s
    }

    static func opt(_ x: Double?) -> String { x.map(pct) ?? "n/a" }
    static func changed(_ b: Bool?) -> String { b.map { $0 ? "changed" : "unchanged" } ?? "n/a" }

    /// The noise robustness rows: (label, circuit, model).
    static func noiseRows(_ n: AgreementReport.NoiseRobustness) -> [(String, String, String)] {
        var rows: [(String, String, String)] = [
            ("states differing, all frames", opt(n.circuit.state_difference), opt(n.model.state_difference)),
            ("states differing, first \(n.first_half_frames) frames", opt(n.circuit.state_difference_first_half), opt(n.model.state_difference_first_half)),
            ("states differing, last \(n.second_half_frames) frames", opt(n.circuit.state_difference_second_half), opt(n.model.state_difference_second_half)),
        ]
        if let ref = n.reference_sequence_decision {
            rows.append(("sequence decision (reference \(ref))",
                         "\(n.circuit.sequence_decision.map(String.init) ?? "n/a") (\(changed(n.circuit.decision_changed)))",
                         "\(n.model.sequence_decision.map(String.init) ?? "n/a") (\(changed(n.model.decision_changed)))"))
            rows.append(("frame decisions changed", opt(n.circuit.frame_decisions_changed), opt(n.model.frame_decisions_changed)))
        }
        return rows
    }

    static func noiseMarkdown(_ n: AgreementReport.NoiseRobustness) -> String {
        var s = "**Input noise** σ = \(n.sigma_units) units (seed \(n.seed), applied RMS \(sci(n.applied_rms_units)) units after clipping at 0): "
        s += "circuit and model ran on the noisy input; robustness against the ideal model on the clean input:\n\n"
        s += "| noise robustness | circuit | model |\n|---|---|---|\n"
        for (k, c, m) in noiseRows(n) { s += "| \(k) | \(c) | \(m) |\n" }
        return s
    }

    /// JUnit XML: one test case per check.
    public static func junit(_ r: AgreementReport) -> String {
        var cases: [(String, String?)] = []
        cases.append(("state_agreement", r.state_agreement >= r.thresholds.required_state_agreement ? nil :
            String(format: "state agreement %.4f < %.4f", r.state_agreement, r.thresholds.required_state_agreement)))
        if let d = r.decision {
            cases.append(("decision_agreement", (d.sequence_agrees && d.frame_agreement >= r.thresholds.required_state_agreement) || !r.thresholds.require_decision_agreement ? nil :
                String(format: "frame agreement %.4f, sequence %d vs %d", d.frame_agreement, d.circuit_sequence_decision, d.model_sequence_decision)))
        }
        for name in r.layers.keys.sorted() {
            if let a = r.layers[name]!.state_agreement {
                cases.append(("states.\(name)", a >= r.thresholds.required_state_agreement ? nil : String(format: "layer state agreement %.4f", a)))
            }
        }
        return XML.junit(suites: "bmru-cosim", suite: r.network.name, seconds: r.timing.total_s, cases: cases)
    }
}

public enum XML {
    /// A JUnit XML report: one suite named `suite` holding one test case per check, `nil` for a check that passed
    /// or its failure message.
    public static func junit(suites: String, suite: String, seconds: Double, cases: [(String, String?)]) -> String {
        let failures = cases.filter { $0.1 != nil }.count
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<testsuites name=\"\(suites)\" tests=\"\(cases.count)\" failures=\"\(failures)\">\n"
        s += "  <testsuite name=\"\(escape(suite))\" tests=\"\(cases.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", seconds))\">\n"
        for (name, failure) in cases {
            s += "    <testcase classname=\"cosim.\(escape(suite))\" name=\"\(escape(name))\""
            s += failure.map { ">\n      <failure message=\"\(escape($0))\"/>\n    </testcase>\n" } ?? "/>\n"
        }
        return s + "  </testsuite>\n</testsuites>\n"
    }

    public static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&apos;"
            default: o.append(c)
            }
        }
        return o
    }
}
