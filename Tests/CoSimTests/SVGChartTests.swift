import BMRUModel
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("SVG charts of the HTML reports")
struct SVGChartTests {
    @Test("text, titles and attribute values are escaped; the chart is well-formed XML; non-finite coordinates are not written")
    func escaping() throws {
        let hostile = "a<b & \"c\" 'd' </svg><script>x</script>"
        var c = SVGChart(width: 120, height: 40, title: hostile)
        c.text(hostile, x: 2, y: 10, size: 10)
        c.rect(x: 1.26, y: 2, width: 3, height: 4, fill: "#fff\"/><script>")
        c.line(x1: 0, y1: .nan, x2: .infinity, y2: 5, stroke: "#888", dash: "4 3")
        c.polyline([(0, 1), (2.25, -3.04)], stroke: "#f28e2b", width: 2)
        c.circle(x: 5, y: 6, r: 2, fill: "#2a7", opacity: 0.7)
        let chart = try SVGCharts.parse(svg: c.svg)
        #expect(chart.texts == [hostile, hostile])
        #expect(chart.elements == ["svg": 1, "title": 1, "text": 1, "rect": 1, "line": 1, "polyline": 1, "circle": 1])
        #expect(chart.elements["script"] == nil)
        let attrs = Dictionary(chart.attributes.map { ($0.element, $0.values) }, uniquingKeysWith: { a, _ in a })
        #expect(attrs["rect"]?["fill"] == "#fff\"/><script>" && attrs["rect"]?["x"] == "1.3")
        #expect(attrs["line"]?["y1"] == "0" && attrs["line"]?["x2"] == "0" && attrs["line"]?["stroke-dasharray"] == "4 3")
        #expect(attrs["polyline"]?["points"] == "0,1 2.3,-3")
        #expect(attrs["circle"]?["fill-opacity"] == "0.7")
        #expect(attrs["svg"]?["viewBox"] == "0 0 120 40")
        #expect(!c.svg.contains("nan") && !c.svg.contains("inf"))
    }

    @Test("report.html of a real co-simulation: well-formed charts of the stimulus, decisions, errors, every unit's state and candidate, every output current, power")
    func reportCharts() throws {
        let dir = try TestEnvironment.temporaryDirectory("svg-report")
        let net = try NetworkFile.decode(try Data(contentsOf: URL(fileURLWithPath: BatchFixtures.tinyNetwork)), file: BatchFixtures.tinyNetwork)
        let stim = try StimulusFile.parse(try Data(contentsOf: URL(fileURLWithPath: BatchFixtures.tinyStimulus)),
                                          file: BatchFixtures.tinyStimulus, inputs: net.inputs)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        try ReportWriter.writeAll(outcome, to: dir + "/r")
        let charts = try SVGCharts.parse(html: try String(contentsOfFile: dir + "/r/report.html", encoding: .utf8))
        let t = outcome.traces
        let supplies = outcome.report.power_w.keys.filter { $0 != "total" }.sorted()
        let bmruUnits = net.layers.filter { $0.kind == .bmru }.map(\.outputs).reduce(0, +)
        let allUnits = net.layers.map(\.outputs).reduce(0, +)
        #expect(bmruUnits > 0 && supplies.count > 0)
        // the stimulus, the decisions, the errors; per unit (network order) its state and candidate (bmru) and its
        // output current; the power per supply
        var titles = ["input stimulus", "decisions", "circuit − model output current per layer"]
        for layer in net.layers {
            for j in 0..<layer.outputs {
                if layer.kind == .bmru { titles += ["\(layer.name)[\(j)]: state node", "\(layer.name)[\(j)]: candidate current"] }
                titles.append("\(layer.name)[\(j)]: output current")
            }
        }
        titles.append("average power per supply")
        #expect(charts.count == 3 + 2 * bmruUnits + allUnits + 1, "\(charts.count) charts")
        for (chart, prefix) in zip(charts, titles) {
            #expect(chart.texts.first?.hasPrefix(prefix) == true, "\(chart.texts.first ?? "-") is not \(prefix)")
        }
        func chart(_ prefix: String) throws -> SVGCharts.Chart { try #require(charts.first { $0.texts.first?.hasPrefix(prefix) == true }) }
        // the heat map: a cell per frame and input, and a colour scale in nA
        let heat = try chart("input stimulus")
        #expect((heat.elements["rect"] ?? 0) >= t.frames * net.inputs && heat.texts.contains("input (nA)"))
        // decisions: a dot per frame and output, the per-frame decisions of both sides and the vote
        let outputs = net.layers.last!.outputs
        let d = try chart("decisions")
        #expect(d.elements["circle"] == t.frames * outputs && d.elements["polyline"] == outputs)
        let votes = try #require(outcome.report.decision)
        #expect(d.texts.contains { $0.hasPrefix("majority vote over \(t.frames) frames: circuit \(votes.circuit_sequence_decision)") })
        #expect(d.texts.contains("circuit") && d.texts.contains("model"))
        // the errors: one step line per layer, named in the legend
        let e = try chart("circuit − model")
        #expect(e.elements["polyline"] == net.layers.count && net.layers.allSatisfy { e.texts.contains($0.name) })
        for layer in net.layers {
            for j in 0..<layer.outputs {
                let unit = "\(layer.name)[\(j)]"
                if layer.kind == .bmru {
                    // the state: the model's steps and the circuit's waveform, VDD/2 dashed; the candidate: steps, a dot
                    // per frame, θ_low and θ_high dashed and labelled in nA
                    let state = try chart(unit + ": state node"), candidate = try chart(unit + ": candidate current")
                    #expect(state.elements["polyline"] == 2 && state.texts.contains("state node (V)") && state.texts.contains("time (ms)"))
                    #expect(candidate.elements["polyline"] == 1 && candidate.elements["circle"] == t.frames && candidate.texts.contains("candidate current (nA)"))
                    #expect(candidate.attributes.filter { $0.element == "line" && $0.values["stroke-dasharray"] != nil }.count == 2)
                    #expect(candidate.texts.contains { $0.hasPrefix("θ_low = ") && $0.hasSuffix(" nA") })
                    #expect(candidate.texts.contains { $0.hasPrefix("θ_high = ") && $0.hasSuffix(" nA") })
                }
                let current = try chart(unit + ": output current")
                #expect(current.elements["circle"] == t.frames && current.texts.contains("output current (nA)"))
                #expect(current.attributes.allSatisfy { $0.values["stroke-dasharray"] == nil })
            }
        }
        // the power bars: one bar and its value per supply, named
        let bars = try chart("average power per supply")
        #expect(bars.elements["rect"] == supplies.count && supplies.allSatisfy { bars.texts.contains($0) })
        #expect(bars.texts.filter { $0.hasSuffix("W") && $0.contains(" ") }.count == supplies.count, "\(bars.texts)")
    }
}
