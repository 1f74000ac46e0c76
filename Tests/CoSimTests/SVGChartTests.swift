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

    @Test("report.html of a real co-simulation: well-formed charts of power, every unit's state and candidate, every output current")
    func reportCharts() throws {
        let dir = try TestEnvironment.temporaryDirectory("svg-report")
        let net = try NetworkFile.decode(try Data(contentsOf: URL(fileURLWithPath: BatchFixtures.tinyNetwork)), file: BatchFixtures.tinyNetwork)
        let stim = try StimulusFile.parse(try Data(contentsOf: URL(fileURLWithPath: BatchFixtures.tinyStimulus)),
                                          file: BatchFixtures.tinyStimulus, inputs: net.inputs)
        let outcome = try CoSimulation.run(network: net, stimulus: stim, options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        try ReportWriter.writeAll(outcome, to: dir + "/r")
        let charts = try SVGCharts.parse(html: try String(contentsOfFile: dir + "/r/report.html", encoding: .utf8))
        let t = outcome.traces
        let units = t.stateWaveforms.count, currents = t.series.filter { $0.quantity == "current" }.count
        let supplies = outcome.report.power_w.keys.filter { $0 != "total" }.count
        #expect(units > 0 && currents > 0 && supplies > 0)
        #expect(charts.count == 1 + 2 * units + currents, "\(charts.count) charts")
        // the power bars: one bar and two labels per supply
        #expect(charts[0].elements["rect"] == supplies && charts[0].texts.count == 2 * supplies)
        // per unit: the state (the model's steps and the circuit's waveform), then the candidate (steps, a dot per
        // frame, θ_low and θ_high dashed)
        for u in 0..<units {
            let state = charts[1 + 2 * u], candidate = charts[2 + 2 * u]
            #expect(state.elements["polyline"] == 2 && state.texts.first == "V")
            #expect(candidate.elements["polyline"] == 1 && candidate.elements["circle"] == t.frames && candidate.texts.first == "units")
            #expect(candidate.attributes.filter { $0.values["stroke-dasharray"] != nil }.count == 2)
        }
        for chart in charts[(1 + 2 * units)...] {
            #expect(chart.elements["circle"] == t.frames && chart.attributes.allSatisfy { $0.values["stroke-dasharray"] == nil })
        }
    }
}
