import BMRUModel
import Foundation

/// report.html: one self-contained page (inline SVG, no script). A table of contents, then the summary, input
/// noise (if any), the input stimulus as a heat map, the agreement (per layer errors and states, the last
/// layer's outputs and decisions, the error per layer against frame), every layer in network order (per bmru
/// unit its state waveform and candidate current against θ_low / θ_high, per unit its output current), power
/// and the files beside the page. Every chart is a `Plot`: time in ms, currents in nA, voltages in V.
enum HTMLReport {
    static let circuitColour = "#1f5fbf", modelColour = "#f28e2b", ambiguousFill = "#fff3b0", differFill = "#fbd5d5"
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#ff7f0e"]
    static let chartWidth = 1000.0

    /// Everything a chart needs to know about the run.
    struct Context {
        let r: AgreementReport
        let t: CoSimTraces
        /// layers in network order
        let layers: [String]
        /// deck.raw is beside the page
        let rawKept: Bool
        /// model units to nA
        func nA(_ units: Double) -> Double { units * t.unitCurrent * 1e9 }
        /// the end of the run, ms
        var endMs: Double { Double(t.frames) * t.framePeriod * 1e3 }
        var frameMs: Double { t.framePeriod * 1e3 }
        /// frame boundaries for the grid, at most about 100 of them
        var frameGridMs: [Double] {
            let step = max(1, t.frames / 100)
            return stride(from: 0, through: t.frames, by: step).map { Double($0) * frameMs }
        }
        func series(_ name: String) -> CoSimTraces.Series? { t.series.first { $0.name == name } }
        func kind(_ layer: String) -> String { r.layers[layer]?.kind ?? "dense" }
        func units(_ layer: String) -> [CoSimTraces.Series] {
            t.series.filter { $0.layer == layer && $0.quantity == "current" }.sorted { ($0.unit ?? 0) < ($1.unit ?? 0) }
        }
    }

    /// `rawKept`: deck.raw is in the folder (`bmru cosim --keep-raw`), so the page links it.
    static func render(_ r: AgreementReport, _ t: CoSimTraces, rawKept: Bool = false) -> String {
        let order = t.layerOrder.isEmpty ? r.layers.keys.sorted() : t.layerOrder.filter { r.layers[$0] != nil }
        let cx = Context(r: r, t: t, layers: order, rawKept: rawKept)
        let name = XML.escape(r.network.name)
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>bmru co-simulation: \(name)</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
        td.n{text-align:right}.pass{color:#0a7a2f;font-weight:bold}.fail{color:#b00020;font-weight:bold}
        svg{background:#fff;border:1px solid #ddd;margin:4px 0;display:block}.legend{font-size:13px;color:#555;max-width:1000px}
        nav.toc{border:1px solid #ddd;background:#fafafa;padding:4px 16px;margin:12px 0 20px;display:inline-block}
        nav.toc ol{margin:4px 0;padding-left:22px}h3{margin:18px 0 2px}h4{margin:12px 0 2px;font-size:15px}
        section{margin-bottom:28px}
        </style></head><body>
        <h1>Co-simulation of <code>\(name)</code> —
        <span class="\(r.pass ? "pass" : "fail")">\(r.pass ? "PASS" : "FAIL")</span></h1>

        """
        h += toc(cx)
        h += summary(cx)
        if let n = r.noise { h += noise(n) }
        h += stimulus(cx)
        h += agreement(cx)
        h += "<section id=\"layers\"><h2>Layers</h2><p class=\"legend\">In network order. Circuit in blue, model in orange. "
        h += "State charts: the circuit's state node (volts, continuous) over the model's state × VDD per frame, the dashed line at VDD/2 "
        h += "decides the circuit's state. Candidate charts: the circuit's candidate current at the end of every frame (dots) and the "
        h += "model's (steps) against θ_low and θ_high. Yellow bands: ambiguous frames of that unit; grey lines: frames.</p></section>\n"
        for layer in order { h += layerSection(layer, cx) }
        h += power(cx)
        h += files(cx)
        h += "</body></html>\n"
        return h
    }

    static func anchor(_ layer: String) -> String { "layer-" + layer }

    static func toc(_ cx: Context) -> String {
        var h = "<nav class=\"toc\" aria-label=\"contents\"><strong>Contents</strong><ol>"
        h += "<li><a href=\"#summary\">Summary</a></li>"
        if cx.r.noise != nil { h += "<li><a href=\"#noise\">Input noise</a></li>" }
        h += "<li><a href=\"#stimulus\">Input stimulus</a></li>"
        h += "<li><a href=\"#agreement\">Agreement</a>: errors per layer, decisions</li>"
        h += "<li><a href=\"#layers\">Layers</a><ol>"
        for l in cx.layers {
            let n = cx.units(l).count
            h += "<li><a href=\"#\(XML.escape(anchor(l)))\">\(XML.escape(l))</a> (\(cx.kind(l)), \(n) unit\(n == 1 ? "" : "s"))</li>"
        }
        h += "</ol></li><li><a href=\"#power\">Power</a></li><li><a href=\"#files\">Files</a></li></ol></nav>\n"
        return h
    }

    static func summary(_ cx: Context) -> String {
        let r = cx.r
        var h = "<section id=\"summary\"><h2>Summary</h2><table>"
        func row(_ k: String, _ v: String) { h += "<tr><th>\(XML.escape(k))</th><td>\(XML.escape(v))</td></tr>" }
        row("frames × bmru units", "\(r.frames) × \(r.units)")
        row("state agreement (non-ambiguous pairs)", "\(ReportWriter.pct(r.state_agreement)) (required \(ReportWriter.pct(r.thresholds.required_state_agreement)))")
        if let o = r.one_step {
            row("one-step state agreement (from the circuit's previous states)", "\(ReportWriter.pct(o.agreement)) (\(o.ambiguous) ambiguous)")
        }
        row("ambiguous pairs", "\(r.ambiguous.count) (candidate within \(r.ambiguous.margin_units) units of a threshold, or holding a state chosen there)")
        row("decision agreement (non-ambiguous frames)", ReportWriter.pct(r.decision_agreement) + (r.decision.map { " (\($0.ambiguous_frames) ambiguous frames)" } ?? ""))
        if let d = r.decision { row("sequence decision circuit / model", "\(d.circuit_sequence_decision) / \(d.model_sequence_decision)") }
        if let f = r.first_divergence {
            row("first divergence", "frame \(f.frame), \(f.layer)[\(f.unit)]: circuit \(f.circuit_state), model \(f.model_state), model candidate \(ReportWriter.sci(f.model_candidate))"
                + (f.path_dependent_from.map { "; path dependent at frame \($0)" } ?? ""))
        } else { row("first divergence", "none") }
        if let p = r.path_dependence {
            row("path-dependent pairs", "\(p.count) (inputs ramped between frames in \(p.substeps) steps end in the other state): "
                + p.pairs.prefix(8).map { "\($0.layer)[\($0.unit)] frame \($0.frame) (\($0.stepped_state) → \($0.ramp_state))" }.joined(separator: ", ")
                + (p.count > 8 ? ", …" : ""))
        }
        row("average power, total", NumberText.si(r.power_w["total"] ?? 0, unit: "W"))
        row("conditions", "corner \(r.conditions.corner), VDD \(r.conditions.vdd) V, \(r.conditions.temperature_c) °C")
        if let m = r.conditions.model { row("compared with", m == "ideal" ? "the ideal model" : m.replacingOccurrences(of: "_", with: "-") + " model") }
        if let s = r.conditions.mismatch_seed { row("mismatch", "PDK Monte Carlo, seed \(s)") }
        if let s = r.conditions.shared_mismatch_seed { row("mismatch", "shared sample, seed \(s)") }
        if let f = r.conditions.deck_file { row("deck", "supplied: \(f) (not the emitted deck)") }
        row("network", "\(r.network.file ?? r.network.name) sha256 \(r.network.sha256 ?? "-")")
        row("unit current, frame period", "\(NumberText.si(r.network.unit_current_a, unit: "A")), \(NumberText.si(r.network.frame_period_s, unit: "s"))")
        row("time", String(format: "deck load %.2f s, analysis %.2f s, model %.4f s", r.timing.deck_load_s, r.timing.analysis_s, r.timing.model_s))
        h += "</table>"
        for f in r.failures { h += "<p class=\"fail\">\(XML.escape(f))</p>" }
        return h + "</section>\n"
    }

    static func noise(_ n: AgreementReport.NoiseRobustness) -> String {
        var h = "<section id=\"noise\"><h2>Input noise</h2><p class=\"legend\">σ = \(n.sigma_units) units per frame and input (seed \(n.seed), applied RMS \(ReportWriter.sci(n.applied_rms_units)) units after clipping at 0). Circuit and model ran on the noisy input (stimulus-noisy.csv); the columns compare each with the ideal model on the clean input.</p>"
        h += "<table><tr><th>noise robustness</th><th>circuit</th><th>model</th></tr>"
        for (k, c, m) in ReportWriter.noiseRows(n) {
            h += "<tr><th>\(XML.escape(k))</th><td>\(XML.escape(c))</td><td>\(XML.escape(m))</td></tr>"
        }
        return h + "</table></section>\n"
    }

    // MARK: the input stimulus

    static func stimulus(_ cx: Context) -> String {
        let s = cx.t.stimulus
        var h = "<section id=\"stimulus\"><h2>Input stimulus</h2>"
        guard let inputs = s.first?.count, inputs > 0 else { return h + "<p>(no stimulus recorded)</p></section>\n" }
        h += "<p class=\"legend\">Every input current per frame (\(cx.t.frames) frames × \(inputs) inputs)\(cx.r.noise == nil ? "" : ", with the input noise the circuit and the model ran on"); colour scale at the right, in nA.</p>"
        let values = s.flatMap { $0.map(cx.nA) }
        let lo = min(0, values.min() ?? 0), hi = max(values.max() ?? 1, lo + 1e-12)
        let row = min(14, max(4, 320 / Double(inputs)))
        // input 0 on top: band inputs−1−i holds input i
        let names = (0..<inputs).reversed().map { "in \($0)" }
        var p = Plot(width: chartWidth, height: Double(inputs) * row + 70, x: PlotAxis(0, Double(cx.t.frames), title: "frame", integer: true),
                     y: .categories(names, title: "input"), title: "input stimulus: \(cx.t.frames) frames × \(inputs) inputs, nA")
        for (k, frame) in s.enumerated() {
            for (i, v) in frame.enumerated() {
                let y0 = Double(inputs - 1 - i)
                p.rect(x0: Double(k), x1: Double(k + 1), y0: y0, y1: y0 + 1, fill: Plot.colour((cx.nA(v) - lo) / (hi - lo)))
            }
        }
        p.colourScale(lo: lo, hi: hi, title: "input (nA)")
        return h + p.svg + "</section>\n"
    }

    // MARK: agreement

    static func agreement(_ cx: Context) -> String {
        let r = cx.r
        var h = "<section id=\"agreement\"><h2>Agreement</h2>"
        h += "<h3>Per layer</h3><p class=\"legend\">Current errors over the \(r.layers.values.first?.frames_compared ?? r.frames) of \(r.frames) frames where every bmru state agrees; layers in network order.</p>"
        h += "<table><tr><th>layer</th><th>kind</th><th>RMS error</th><th>max error</th><th>RMS relative</th><th>model RMS current</th><th>state agreement</th></tr>"
        for name in cx.layers {
            let l = r.layers[name]!
            h += "<tr><td><a href=\"#\(XML.escape(anchor(name)))\">\(XML.escape(name))</a></td><td>\(l.kind)</td>"
            h += "<td class=\"n\">\(NumberText.si(l.rms_error_a, unit: "A", digits: 3))</td><td class=\"n\">\(NumberText.si(l.max_abs_error_a, unit: "A", digits: 3))</td>"
            h += "<td class=\"n\">\(l.rms_rel_error.map(ReportWriter.pct) ?? "n/a (model current 0)")</td><td class=\"n\">\(NumberText.si(l.model_rms_a, unit: "A", digits: 3))</td>"
            h += "<td class=\"n\">\(l.state_agreement.map(ReportWriter.pct) ?? "")</td></tr>"
        }
        h += "</table>"
        if let last = cx.layers.last {
            h += "<h3>Decisions</h3>" + decisionPlot(last, cx)
        }
        h += "<h3>Circuit − model error per layer</h3>" + errorPlot(cx)
        return h + "</section>\n"
    }

    /// The frames where some bmru state of the circuit differs from the model's.
    static func stateMismatchFrames(_ cx: Context) -> Set<Int> {
        var out = Set<Int>()
        for s in cx.t.series where s.quantity == "state" {
            guard let m = s.model else { continue }
            for k in 0..<min(s.circuit.count, m.count) where s.circuit[k] != m[k] { out.insert(k) }
        }
        return out
    }

    /// Bands over the frames in `frames`, merged where consecutive (x in frames).
    static func bands(_ frames: Set<Int>, _ p: inout Plot, fill: String, scale: Double = 1) {
        var k = 0
        let sorted = frames.sorted()
        while k < sorted.count {
            var e = k
            while e + 1 < sorted.count && sorted[e + 1] == sorted[e] + 1 { e += 1 }
            p.band(x0: Double(sorted[k]) * scale, x1: Double(sorted[e] + 1) * scale, fill: fill)
            k = e + 1
        }
    }

    /// The last layer's outputs per frame, both sides, with each frame's decision (argmax) and the majority vote.
    static func decisionPlot(_ layer: String, _ cx: Context) -> String {
        let units = cx.units(layer)
        guard !units.isEmpty else { return "<p>(no outputs)</p>" }
        let T = cx.t.frames
        let all = units.flatMap { $0.circuit + ($0.model ?? []) }.map(cx.nA)
        let lo = min(0, all.min() ?? 0), hi = max(all.max() ?? 1, lo + 1e-9)
        var p = Plot(width: chartWidth, height: 300, x: PlotAxis(0, Double(T), title: "frame", integer: true),
                     y: PlotAxis(lo, hi + (hi - lo) * 0.06, title: "output current (nA)"),
                     title: "decisions: outputs of \(layer) per frame, circuit and model")
        p.gridX((0...T).map(Double.init))
        let rowsAt = { (side: KeyPath<CoSimTraces.Series, [Double]?>) -> [[Double]] in
            (0..<T).map { k in units.map { u in u[keyPath: side].flatMap { k < $0.count ? $0[k] : nil } ?? 0 } }
        }
        let circuitRows = rowsAt(\.circuitOptional), modelRows = rowsAt(\.model)
        var differ = Set<Int>()
        if units.count >= 2 {
            let ca = circuitRows.map(Decisions.argmax), ma = modelRows.map(Decisions.argmax)
            for k in 0..<T where ca[k] != ma[k] { differ.insert(k) }
            bands(differ, &p, fill: differFill)
            func cells(_ a: [Int]) -> [(x0: Double, x1: Double, text: String?, fill: String)] {
                a.enumerated().map { (Double($0.offset), Double($0.offset + 1), "\($0.element)", palette[$0.element % palette.count]) }
            }
            p.strip("circuit", cells: cells(ca))
            p.strip("model", cells: cells(ma))
            func votes(_ a: [Int]) -> String {
                (0..<units.count).map { j in "\(j): \(a.filter { $0 == j }.count)" }.joined(separator: ", ")
            }
            if let d = cx.r.decision {
                p.note("majority vote over \(T) frames: circuit \(d.circuit_sequence_decision) (votes \(votes(ca))), model \(d.model_sequence_decision) (votes \(votes(ma))): "
                       + (d.sequence_agrees ? "the same decision" : "DIFFERENT decisions"))
            }
        } else {
            p.note("one output: no decision")
        }
        for (j, u) in units.enumerated() {
            let colour = palette[j % palette.count]
            p.steps((u.model ?? []).map(cx.nA), dx: 1, stroke: colour, width: 2, legend: "\(layer)[\(u.unit ?? j)] model")
            p.dots(u.circuit.enumerated().map { (Double($0.offset) + 0.5, cx.nA($0.element)) }, r: 3, fill: colour,
                   legend: "\(layer)[\(u.unit ?? j)] circuit")
        }
        if !differ.isEmpty { p.legendEntry("frame decisions differ", colour: differFill) }
        var h = "<p class=\"legend\">The outputs of the last layer, <code>\(XML.escape(layer))</code>: model as steps, circuit as dots (end of each frame). "
        h += "The strips above the chart give each frame's decision (the output with the largest current) of both sides; the run's decision is the majority of these votes (ties: the lower output).</p>"
        return h + p.svg
    }

    /// Per layer and frame: the RMS over its units of circuit − model output current, nA.
    static func errorPlot(_ cx: Context) -> String {
        let T = cx.t.frames
        var series: [(String, [Double])] = []
        for l in cx.layers {
            let units = cx.units(l)
            guard !units.isEmpty else { continue }
            let e = (0..<T).map { k -> Double in
                let sq = units.map { u -> Double in
                    let c = k < u.circuit.count ? u.circuit[k] : 0, m = u.model.flatMap { k < $0.count ? $0[k] : nil } ?? 0
                    return cx.nA(c - m) * cx.nA(c - m)
                }
                return (sq.reduce(0, +) / Double(units.count)).squareRoot()
            }
            series.append((l, e))
        }
        let top = series.flatMap(\.1).max() ?? 0
        var p = Plot(width: chartWidth, height: 240, x: PlotAxis(0, Double(T), title: "frame", integer: true),
                     y: PlotAxis(0, top > 0 ? top * 1.08 : 1, title: "RMS of circuit − model current (nA)"),
                     title: "circuit − model output current per layer against frame")
        let mismatch = stateMismatchFrames(cx)
        bands(mismatch, &p, fill: differFill)
        p.gridX((0...T).map(Double.init))
        for (i, (l, e)) in series.enumerated() {
            p.steps(e, dx: 1, stroke: palette[i % palette.count], width: 2, legend: l)
        }
        if !mismatch.isEmpty { p.legendEntry("some state differs (left out of the current errors)", colour: differFill) }
        return "<p class=\"legend\">For every layer, per frame: the root mean square over its units of the circuit's output current minus the model's.</p>" + p.svg
    }

    // MARK: layers

    static func layerSection(_ layer: String, _ cx: Context) -> String {
        let units = cx.units(layer)
        let e = XML.escape(layer)
        var h = "<section id=\"\(XML.escape(anchor(layer)))\"><h3>Layer <code>\(e)</code> (\(cx.kind(layer)), \(units.count) unit\(units.count == 1 ? "" : "s"))</h3>"
        if let l = cx.r.layers[layer] {
            h += "<p class=\"legend\">RMS error \(NumberText.si(l.rms_error_a, unit: "A", digits: 3)), max \(NumberText.si(l.max_abs_error_a, unit: "A", digits: 3))"
            h += l.state_agreement.map { ", state agreement \(ReportWriter.pct($0))" } ?? ""
            h += ".</p>"
        }
        for u in units {
            let unit = "\(layer)[\(u.unit ?? 0)]"
            h += "<h4>\(XML.escape(unit))</h4>"
            if let wf = cx.t.stateWaveforms[unit] {
                let model = cx.series(unit + ".state")?.model ?? []
                h += statePlot(unit, wf: wf, model: model, cx)
                if let c = cx.series(unit + ".candidate"), let th = cx.t.thresholds[unit] {
                    h += candidatePlot(unit, circuit: c.circuit, model: c.model ?? [], th: th, cx)
                }
            }
            h += currentPlot(unit, circuit: u.circuit, model: u.model ?? [], cx)
        }
        return h + "</section>\n"
    }

    /// A chart over the run with time in ms, the frame grid and the unit's ambiguous frames.
    static func timePlot(_ title: String, y: PlotAxis, ambiguous: Set<Int>, _ cx: Context) -> Plot {
        var p = Plot(width: chartWidth, height: 180, x: PlotAxis(0, cx.endMs, title: "time (ms)", target: 10), y: y, title: title)
        bands(ambiguous, &p, fill: ambiguousFill, scale: cx.frameMs)
        p.gridX(cx.frameGridMs)
        return p
    }

    static func statePlot(_ unit: String, wf: (time: [Double], volts: [Double]), model: [Double], _ cx: Context) -> String {
        let vdd = cx.t.vdd, ambiguous = cx.t.ambiguousFrames[unit] ?? []
        var p = timePlot("\(unit): state node voltage, circuit and model", y: PlotAxis(-0.05 * vdd, 1.05 * vdd, title: "state node (V)"),
                         ambiguous: ambiguous, cx)
        p.steps(model.map { $0 * vdd }, dx: cx.frameMs, stroke: modelColour, width: 2, legend: "model state × VDD")
        p.line(zip(wf.time, wf.volts).map { ($0 * 1e3, $1) }, stroke: circuitColour, width: 1.2, legend: "circuit v(s_\(unit.lowercased().replacingOccurrences(of: "[", with: "_").replacingOccurrences(of: "]", with: "")))")
        p.reference(y: cx.r.thresholds.state_threshold_v, label: "VDD/2 = \(NumberText.significant(cx.r.thresholds.state_threshold_v, digits: 4)) V")
        if !ambiguous.isEmpty { p.legendEntry("ambiguous frame", colour: ambiguousFill) }
        return p.svg
    }

    static func candidatePlot(_ unit: String, circuit: [Double], model: [Double], th: (low: Double, high: Double), _ cx: Context) -> String {
        let all = (circuit + model + [th.low, th.high]).map(cx.nA)
        let lo = min(0, all.min() ?? 0), hi = max(all.max() ?? 1, 1e-9) * 1.08
        let ambiguous = cx.t.ambiguousFrames[unit] ?? []
        var p = timePlot("\(unit): candidate current against θ_low and θ_high", y: PlotAxis(lo, hi, title: "candidate current (nA)"),
                         ambiguous: ambiguous, cx)
        p.reference(y: cx.nA(th.high), label: "θ_high = \(NumberText.significant(cx.nA(th.high), digits: 4)) nA")
        p.reference(y: cx.nA(th.low), label: "θ_low = \(NumberText.significant(cx.nA(th.low), digits: 4)) nA")
        p.steps(model.map(cx.nA), dx: cx.frameMs, stroke: modelColour, width: 2, legend: "model")
        p.dots(circuit.enumerated().map { ((Double($0.offset) + 0.998) * cx.frameMs, cx.nA($0.element)) }, r: 2.5, fill: circuitColour,
               legend: "circuit (end of frame)")
        if !ambiguous.isEmpty { p.legendEntry("ambiguous frame", colour: ambiguousFill) }
        return p.svg
    }

    static func currentPlot(_ unit: String, circuit: [Double], model: [Double], _ cx: Context) -> String {
        let all = (circuit + model).map(cx.nA)
        let lo = min(0, all.min() ?? 0), hi = max(all.max() ?? 1, 1e-9) * 1.08
        var p = timePlot("\(unit): output current, circuit and model", y: PlotAxis(lo, hi, title: "output current (nA)"), ambiguous: [], cx)
        p.steps(model.map(cx.nA), dx: cx.frameMs, stroke: modelColour, width: 2, legend: "model")
        p.dots(circuit.enumerated().map { ((Double($0.offset) + 0.998) * cx.frameMs, cx.nA($0.element)) }, r: 2.5, fill: circuitColour,
               legend: "circuit (end of frame)")
        return p.svg
    }

    // MARK: power and files

    static func power(_ cx: Context) -> String {
        let r = cx.r
        var h = "<section id=\"power\"><h2>Power</h2><p>Average over the run: <strong>\(NumberText.si(r.power_w["total"] ?? 0, unit: "W"))</strong>.</p>"
        h += "<h3>Per supply</h3>" + powerBars(r.power_w, layers: cx.layers)
        if let parts = r.power_parts, !parts.isEmpty {
            h += "<h3>By function</h3><p class=\"legend\">Average over the run; the parts add up to the total.</p><table><tr><th>layer</th><th>part</th><th>nW</th></tr>"
            for p in parts {
                h += "<tr><td>\(XML.escape(p.layer ?? "shared"))</td><td>\(p.part.replacingOccurrences(of: "_", with: " "))</td><td class=\"n\">\(ReportWriter.nanowatts(p.watts))</td></tr>"
            }
            h += "<tr><th>total</th><th></th><th>\(ReportWriter.nanowatts(r.power_w["total"] ?? 0))</th></tr></table>"
        }
        return h + "</section>\n"
    }

    /// One bar per supply (layers in network order, then the bias), in nW, each labelled with its power.
    static func powerBars(_ power: [String: Double], layers: [String]) -> String {
        let keys = power.keys.filter { $0 != "total" }
        let ordered = layers.filter(keys.contains) + (keys.contains("bias") ? ["bias"] : []) + keys.filter { !layers.contains($0) && $0 != "bias" }.sorted()
        let nW = ordered.map { (power[$0] ?? 0) * 1e9 }
        let top = max(nW.max() ?? 1, 1e-9) * 1.25
        // the first supply on top: band n−1−i holds supply i
        var p = Plot(width: 760, height: Double(ordered.count) * 26 + 60, x: PlotAxis(0, top, title: "average power (nW)"),
                     y: .categories(ordered.reversed(), title: "supply"), title: "average power per supply")
        for (i, v) in nW.enumerated() {
            let band = Double(ordered.count - 1 - i)
            p.rect(x0: 0, x1: v, y0: band + 0.2, y1: band + 0.8, fill: "#4e79a7")
            p.text(NumberText.si(v * 1e-9, unit: "W"), x: v + top * 0.01, y: band + 0.35, size: 12)
        }
        return p.svg
    }

    static func files(_ cx: Context) -> String {
        var list: [(String, String)] = [
            ("report.json", "every figure of this page, machine-readable"),
            ("report.md", "the short summary"),
            ("junit.xml", "the checks as test cases"),
            ("waveforms.csv", "circuit and model value of every series per frame (currents in units of \(NumberText.si(cx.t.unitCurrent, unit: "A")), supplies in W)"),
        ]
        if cx.r.noise != nil { list.append(("stimulus-noisy.csv", "the stimulus with input noise the circuit and the model ran on")) }
        list += [("deck.sp", "the simulated deck (standalone: run it with ngspice -b deck.sp)"),
                 ("deck.mapping.json", "which element realises which parameter, and the probes")]
        if cx.rawKept { list.append(("deck.raw", "ngspice's raw file of the whole transient, every vector at every time point (ngspice load, spicelib, gwave)")) }
        var h = "<section id=\"files\"><h2>Files</h2><ul>"
        for (f, what) in list { h += "<li><a href=\"\(f)\">\(f)</a>: \(XML.escape(what))</li>" }
        if !cx.rawKept {
            h += "<li>deck.raw, ngspice's raw file of the whole transient, was not kept: <code>bmru cosim --keep-raw</code> keeps it, and <code>ngspice -b deck.sp</code> in this folder writes it</li>"
        }
        return h + "</ul></section>\n"
    }
}

extension CoSimTraces.Series {
    /// the circuit's values, as an optional (to read both sides through one key path)
    var circuitOptional: [Double]? { circuit }
}
