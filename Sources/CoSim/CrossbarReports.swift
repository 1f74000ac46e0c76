import BMRUModel
import Foundation

// The reports of a crossbar co-simulation: report.json (the `CrossbarAgreementReport`), report.md, junit.xml and
// report.html (one self-contained page: summary, per-layer agreement, per unit the circuit's code against the
// model's, frame by frame, and power).

public enum CrossbarReports {
    /// What `writeAll` writes (and deck.raw, which `ngspice -b deck.sp` writes beside the deck).
    public static let folderNames: Set<String> = ["deck.sp", "codes.csv", "report.md", "report.html", "junit.xml", "report.json", "deck.raw"]

    /// The folder as a whole, under a temporary name renamed into place when complete (junit.xml and
    /// report.json last), so a failed run leaves no report.
    public static func writeAll(_ o: CrossbarCoSimOutcome, to dir: String) throws {
        try AtomicFolder.write(dir, replaceable: folderNames, last: ["report.json", "junit.xml"]) { tmp in
            let files: [(String, Data)] = [
                ("deck.sp", Data(o.deck.text.utf8)),
                ("codes.csv", Data(codesCSV(o).utf8)),
                ("report.md", Data(markdown(o.report).utf8)),
                ("report.html", Data(html(o.report, circuit: o.circuit, model: o.model).utf8)),
                ("junit.xml", Data(junit(o.report).utf8)),
                ("report.json", try ReportJSON.encode(o.report) + Data("\n".utf8)),
            ]
            for (name, data) in files { try FileOutput.write(data, to: tmp + "/" + name) }
        }
    }

    /// frame, then per layer and unit the circuit's code, the model's (free running) and the circuit's
    /// pre-activation in weight units.
    public static func codesCSV(_ o: CrossbarCoSimOutcome) -> String {
        let names = o.report.layer_order
        var header = ["frame"]
        for name in names {
            let u = o.report.layers[name]!.units
            for i in 0..<u { header += ["\(name).\(i).circuit", "\(name).\(i).model", "\(name).\(i).pre_circuit"] }
        }
        var s = header.joined(separator: ",") + "\n"
        for t in 0..<o.report.frames {
            var row = [String(t)]
            for name in names {
                let c = o.circuit.codes[name]![t], m = o.model.layer(name)!.codes![t], p = o.circuit.preActivations[name]?[t]
                for i in c.indices { row += [String(c[i]), String(m[i]), p.map { NumberText.json($0[i]) } ?? ""] }
            }
            s += row.joined(separator: ",") + "\n"
        }
        return s
    }

    static func pct(_ x: Double) -> String { String(format: "%.2f %%", x * 100) }
    static func nW(_ w: Double) -> String { String(format: "%.2f", w * 1e9) }

    public static func markdown(_ r: CrossbarAgreementReport) -> String {
        var s = "# Crossbar co-simulation: \(r.network.name)\n\n"
        s += "**\(r.pass ? "PASS" : "FAIL")**: \(r.frames) frames; one-step codes exact \(pct(r.one_step_exact)) "
        s += "(\(r.one_step_ambiguous) ambiguous pairs left out: model pre-activation within \(pct(r.thresholds.margin_fraction)) of a threshold step), within one level "
        s += "\(pct(r.one_step_within_one)); free running exact \(pct(r.free_running_exact)); sequence decision circuit "
        s += "\(r.decision.circuit_sequence_decision), model \(r.decision.model_sequence_decision); frame decisions agree \(pct(r.decision.frame_agreement)).\n\n"
        if r.inputs_outside_range > 0 {
            s += "Warning: \(r.inputs_outside_range) input values lie outside the network's input_range (the circuit is characterised inside it).\n\n"
        }
        s += "| layer | kind | units | activation | ADC | one step exact | ambiguous | within one | free running exact | max |Δ| | pre-activation RMS error |\n"
        s += "|---|---|---|---|---|---|---|---|---|---|---|\n"
        for name in r.layer_order {
            let l = r.layers[name]!
            let pre = l.pre_rms_error.map { String(format: "%.4g (%.2f %% of range)", $0, 100 * (l.pre_rms_error_of_range ?? 0)) } ?? "n/a"
            s += "| \(name) | \(l.kind) | \(l.units) | \(l.activation) | \(l.adc_bits) bit | \(pct(l.one_step.exact)) | \(l.one_step.ambiguous) | \(pct(l.one_step.within_one)) | "
            s += "\(pct(l.free_running.exact)) | \(l.one_step.max_abs_difference) | \(pre) |\n"
        }
        if let p = r.power_w {
            s += "\n| power | nW |\n|---|---|\n"
            for k in p.keys.sorted() { s += "| \(k) | \(nW(p[k]!)) |\n" }
        }
        s += "\nGate: one-step exact ≥ \(pct(r.thresholds.required_exact)), within one ≥ \(pct(r.thresholds.required_within_one))"
        s += r.thresholds.require_decision_agreement ? ", sequence decisions agree.\n" : ".\n"
        return s
    }

    public static func junit(_ r: CrossbarAgreementReport) -> String {
        var cases: [(String, String?)] = []
        cases.append(("one_step_exact", r.one_step_exact >= r.thresholds.required_exact ? nil
                      : String(format: "one-step exact %.4f < %.4f", r.one_step_exact, r.thresholds.required_exact)))
        cases.append(("one_step_within_one", r.one_step_within_one >= r.thresholds.required_within_one ? nil
                      : String(format: "within one %.4f < %.4f", r.one_step_within_one, r.thresholds.required_within_one)))
        cases.append(("decision", r.decision.sequence_agrees || !r.thresholds.require_decision_agreement ? nil
                      : "sequence decision \(r.decision.circuit_sequence_decision) vs \(r.decision.model_sequence_decision)"))
        for name in r.layer_order {
            let l = r.layers[name]!
            cases.append(("codes.\(name)", l.one_step.within_one >= r.thresholds.required_within_one ? nil
                          : "max |Δcode| \(l.one_step.max_abs_difference), first at \(l.one_step.first_difference ?? "?")"))
        }
        return XML.junit(suites: "bmru-cosim-crossbar", suite: r.network.name, seconds: r.timing_s, cases: cases)
    }

    /// The page; `units` caps the per-unit charts per layer.
    public static func html(_ r: CrossbarAgreementReport, circuit: CrossbarCircuitFrames, model: CrossbarTrace, units: Int = 8) -> String {
        let circuitColour = HTMLReport.circuitColour, modelColour = HTMLReport.modelColour
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(XML.escape(r.network.name)): crossbar co-simulation</title>\n"
        h += "<style>body{font-family:sans-serif;max-width:1040px;margin:1em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        h += ".pass{color:#1a7f37}.fail{color:#c62828}</style></head><body>\n"
        h += "<h1>\(XML.escape(r.network.name)): crossbar co-simulation</h1>\n"
        h += "<nav><a href=\"#summary\">Summary</a> · " + r.layer_order.map { "<a href=\"#layer-\(XML.escape($0))\">\(XML.escape($0))</a>" }.joined(separator: " · ")
        h += (r.power_w == nil ? "" : " · <a href=\"#power\">Power</a>") + "</nav>\n"
        h += "<section id=\"summary\"><h2>Summary</h2><p class=\"\(r.pass ? "pass" : "fail")\"><b>\(r.pass ? "PASS" : "FAIL")</b></p>\n"
        h += "<table><tr><th>check</th><th>value</th></tr>"
        h += "<tr><td>one-step codes exact (ambiguous pairs left out)</td><td>\(pct(r.one_step_exact)) (\(r.one_step_ambiguous) ambiguous)</td></tr><tr><td>one-step within one level</td><td>\(pct(r.one_step_within_one))</td></tr>"
        h += "<tr><td>free-running codes exact</td><td>\(pct(r.free_running_exact))</td></tr><tr><td>frame decisions agree</td><td>\(pct(r.decision.frame_agreement))</td></tr>"
        h += "<tr><td>sequence decision (circuit / model)</td><td>\(r.decision.circuit_sequence_decision) / \(r.decision.model_sequence_decision)</td></tr>"
        h += "<tr><td>inputs outside input_range</td><td>\(r.inputs_outside_range)</td></tr></table></section>\n"
        for name in r.layer_order {
            let l = r.layers[name]!
            h += "<section id=\"layer-\(XML.escape(name))\"><h2>\(XML.escape(name)) (\(l.kind), \(l.units) units, \(l.activation), \(l.adc_bits)-bit ramp ADC)</h2>\n"
            h += "<p>one step: exact \(pct(l.one_step.exact)), within one \(pct(l.one_step.within_one)), max |Δ| \(l.one_step.max_abs_difference); "
            h += "free running: exact \(pct(l.free_running.exact))</p>\n"
            guard let c = circuit.codes[name], let m = model.layer(name)?.codes else { continue }
            let levels = Double((1 << l.adc_bits) - 1)
            for u in 0..<min(l.units, units) {
                var p = Plot(width: 1000, height: 160, x: PlotAxis(0, Double(r.frames), title: "frame", target: 10),
                             y: PlotAxis(0, levels, title: "code", integer: true), title: "\(name)[\(u)]: ADC code, circuit and model (free running)")
                let differ = (0..<r.frames).filter { c[$0][u] != m[$0][u] }
                for t in differ { p.band(x0: Double(t), x1: Double(t + 1), fill: HTMLReport.differFill) }
                p.steps(m.map { Double($0[u]) }, dx: 1, stroke: modelColour, width: 2, legend: "model")
                p.steps(c.map { Double($0[u]) }, dx: 1, stroke: circuitColour, width: 1.2, legend: "circuit")
                if !differ.isEmpty { p.legendEntry("codes differ", colour: HTMLReport.differFill) }
                h += p.svg + "\n"
            }
            h += "</section>\n"
        }
        if let pw = r.power_w {
            h += "<section id=\"power\"><h2>Power</h2><table><tr><th>part</th><th>nW</th></tr>"
            for k in pw.keys.sorted() { h += "<tr><td>\(XML.escape(k))</td><td>\(nW(pw[k]!))</td></tr>" }
            h += "</table></section>\n"
        }
        return h + "</body></html>\n"
    }
}
