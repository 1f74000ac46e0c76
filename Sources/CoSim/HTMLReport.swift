import Foundation

/// One self-contained HTML page: summary, then per bmru unit its state waveform over the model's frame
/// values and its candidate current against the thresholds, then output currents and power (inline SVG).
enum HTMLReport {
    static func render(_ r: AgreementReport, _ t: CoSimTraces) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>bmru co-simulation: \(XML.escape(r.network.name))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
        table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
        .pass{color:#0a7a2f;font-weight:bold}.fail{color:#b00020;font-weight:bold}
        svg{background:#fff;border:1px solid #ddd;margin:4px 0}.legend{font-size:12px;color:#555}
        h3{margin:18px 0 2px}
        </style></head><body>
        <h1>Co-simulation of <code>\(XML.escape(r.network.name))</code> —
        <span class="\(r.pass ? "pass" : "fail")">\(r.pass ? "PASS" : "FAIL")</span></h1>
        """
        h += "<table>"
        func row(_ k: String, _ v: String) { h += "<tr><th>\(XML.escape(k))</th><td>\(XML.escape(v))</td></tr>" }
        row("frames × bmru units", "\(r.frames) × \(r.units)")
        row("state agreement (non-ambiguous pairs)", "\(ReportWriter.pct(r.state_agreement)) (required \(ReportWriter.pct(r.thresholds.required_state_agreement)))")
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
        row("average power, total", "\(ReportWriter.sci(r.power_w["total"] ?? 0)) W")
        row("conditions", "corner \(r.conditions.corner), VDD \(r.conditions.vdd) V, \(r.conditions.temperature_c) °C")
        row("network", "\(r.network.file ?? r.network.name) sha256 \(r.network.sha256 ?? "-")")
        row("time", String(format: "deck load %.2f s, analysis %.2f s, model %.4f s", r.timing.deck_load_s, r.timing.analysis_s, r.timing.model_s))
        h += "</table>"
        for f in r.failures { h += "<p class=\"fail\">\(XML.escape(f))</p>" }
        if let n = r.noise {
            h += "<h2>Input noise</h2><p class=\"legend\">σ = \(n.sigma_units) units per frame and input (seed \(n.seed), applied RMS \(ReportWriter.sci(n.applied_rms_units)) units after clipping at 0). Circuit and model ran on the noisy input (stimulus-noisy.csv); the columns compare each with the ideal model on the clean input.</p>"
            h += "<table><tr><th>noise robustness</th><th>circuit</th><th>model</th></tr>"
            for (k, c, m) in ReportWriter.noiseRows(n) {
                h += "<tr><th>\(XML.escape(k))</th><td>\(XML.escape(c))</td><td>\(XML.escape(m))</td></tr>"
            }
            h += "</table>"
        }

        h += "<h2>Layers</h2><p class=\"legend\">Current errors over the \(r.layers.values.first?.frames_compared ?? r.frames) of \(r.frames) frames where every bmru state agrees.</p><table><tr><th>layer</th><th>kind</th><th>RMS error (A)</th><th>max error (A)</th><th>RMS relative</th><th>state agreement</th></tr>"
        for name in r.layers.keys.sorted() {
            let l = r.layers[name]!
            h += "<tr><td>\(XML.escape(name))</td><td>\(l.kind)</td><td>\(ReportWriter.sci(l.rms_error_a))</td><td>\(ReportWriter.sci(l.max_abs_error_a))</td><td>\(l.rms_rel_error.map(ReportWriter.pct) ?? "n/a (model current 0)")</td><td>\(l.state_agreement.map(ReportWriter.pct) ?? "")</td></tr>"
        }
        h += "</table>"

        h += "<h2>Power per supply</h2>" + powerBars(r.power_w)
        if let parts = r.power_parts, !parts.isEmpty {
            h += "<h2>Power by function</h2><p class=\"legend\">Average over the run; the parts add up to the total.</p><table><tr><th>layer</th><th>part</th><th>nW</th></tr>"
            for p in parts {
                h += "<tr><td>\(XML.escape(p.layer ?? "shared"))</td><td>\(p.part.replacingOccurrences(of: "_", with: " "))</td><td>\(ReportWriter.nanowatts(p.watts))</td></tr>"
            }
            h += "<tr><th>total</th><th></th><th>\(ReportWriter.nanowatts(r.power_w["total"] ?? 0))</th></tr></table>"
        }

        h += "<h2>BMRU units</h2><p class=\"legend\">Top: circuit state node (blue, volts, continuous) over the model's state × VDD per frame (orange steps); grey lines mark frames, yellow bands ambiguous frames. Bottom: candidate current in units, circuit (blue dots) and model (orange steps), θ_low/θ_high dashed.</p>"
        for (name, wf) in t.stateWaveforms.sorted(by: { $0.key < $1.key }) {
            h += "<h3>\(XML.escape(name))</h3>"
            let model = t.series.first { $0.name == name + ".state" }?.model ?? []
            h += statePlot(wf: wf, model: model, t: t, ambiguous: t.ambiguousFrames[name] ?? [])
            if let c = t.series.first(where: { $0.name == name + ".candidate" }), let th = t.thresholds[name] {
                h += candidatePlot(circuit: c.circuit, model: c.model ?? [], th: th, t: t, ambiguous: t.ambiguousFrames[name] ?? [])
            }
        }
        h += "<h2>Output currents</h2><p class=\"legend\">Per unit of every layer: circuit (blue dots) and model (orange steps), in units.</p>"
        for s in t.series where s.quantity == "current" {
            h += "<h3>\(XML.escape(s.name))</h3>" + candidatePlot(circuit: s.circuit, model: s.model ?? [], th: nil, t: t, ambiguous: [])
        }
        h += "</body></html>\n"
        return h
    }

    static let width = 1000.0, height = 140.0, left = 50.0, right = 10.0, top = 8.0, bottom = 20.0

    struct Axes {
        var t0: Double, t1: Double, y0: Double, y1: Double
        func x(_ t: Double) -> Double { left + (t - t0) / max(t1 - t0, 1e-30) * (width - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - y0) / max(y1 - y0, 1e-30)) * (height - top - bottom) }
    }

    /// A chart with the frame grid, the ambiguous frames' bands and the axis labels.
    static func frame(_ a: Axes, _ t: CoSimTraces, ambiguous: Set<Int>, yLabel: String) -> SVGChart {
        var c = SVGChart(width: width, height: height)
        let T = t.framePeriod
        for k in ambiguous.sorted() {
            c.rect(x: a.x(Double(k) * T), y: top, width: max(a.x(Double(k + 1) * T) - a.x(Double(k) * T), 1),
                   height: height - top - bottom, fill: "#fff3b0")
        }
        let step = max(1, t.frames / 100)
        for k in stride(from: 0, through: t.frames, by: step) {
            c.line(x1: a.x(Double(k) * T), y1: top, x2: a.x(Double(k) * T), y2: height - bottom, stroke: "#eee")
        }
        c.text(yLabel, x: 2, y: top + 10, size: 10)
        c.text(String(format: "%.3g", a.y0), x: 2, y: height - bottom, size: 10)
        c.text(String(format: "t = %.3g s", a.t1), x: width - 90, y: height - 5, size: 10)
        c.text("0", x: left, y: height - 5, size: 10)
        return c
    }

    static func steps(_ values: [Double], _ a: Axes, _ T: Double) -> [(x: Double, y: Double)] {
        var pts: [(x: Double, y: Double)] = []
        for (k, v) in values.enumerated() {
            pts.append((a.x(Double(k) * T), a.y(v)))
            pts.append((a.x(Double(k + 1) * T), a.y(v)))
        }
        return pts
    }

    static func statePlot(wf: (time: [Double], volts: [Double]), model: [Double], t: CoSimTraces, ambiguous: Set<Int>) -> String {
        let a = Axes(t0: 0, t1: Double(t.frames) * t.framePeriod, y0: -0.05 * t.vdd, y1: 1.05 * t.vdd)
        var c = frame(a, t, ambiguous: ambiguous, yLabel: "V")
        c.polyline(steps(model.map { $0 * t.vdd }, a, t.framePeriod), stroke: "#f28e2b", width: 2)
        c.polyline(zip(wf.time, wf.volts).map { (a.x($0), a.y($1)) }, stroke: "#1f5fbf", width: 1.2)
        return c.svg
    }

    static func candidatePlot(circuit: [Double], model: [Double], th: (low: Double, high: Double)?, t: CoSimTraces, ambiguous: Set<Int>) -> String {
        let all = circuit + model + (th.map { [$0.low, $0.high] } ?? [])
        let lo = min(0, all.min() ?? 0), hi = max(all.max() ?? 1, 1e-9) * 1.08
        let a = Axes(t0: 0, t1: Double(t.frames) * t.framePeriod, y0: lo, y1: hi)
        var c = frame(a, t, ambiguous: ambiguous, yLabel: "units")
        if let th {
            for v in [th.low, th.high] {
                c.line(x1: left, y1: a.y(v), x2: width - right, y2: a.y(v), stroke: "#888", dash: "4 3")
            }
        }
        c.polyline(steps(model, a, t.framePeriod), stroke: "#f28e2b", width: 2)
        for (k, v) in circuit.enumerated() {
            c.circle(x: a.x((Double(k) + 0.998) * t.framePeriod), y: a.y(v), r: 2, fill: "#1f5fbf")
        }
        return c.svg
    }

    static func powerBars(_ p: [String: Double]) -> String {
        let items = p.filter { $0.key != "total" }.sorted { $0.key < $1.key }
        let maxV = max(items.map(\.value).max() ?? 1, 1e-30)
        var c = SVGChart(width: 700, height: Double(items.count) * 22 + 10)
        for (i, (k, v)) in items.enumerated() {
            let y = 5 + Double(i) * 22, length = max(1, v / maxV * 440)
            c.text(k, x: 4, y: y + 13, size: 12)
            c.rect(x: 120, y: y, width: length, height: 16, fill: "#4e79a7")
            c.text(String(format: "%.3g W", v), x: 126 + length, y: y + 13, size: 12)
        }
        return c.svg
    }
}
