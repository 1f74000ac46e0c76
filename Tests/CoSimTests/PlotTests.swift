// The one axis helper of the HTML pages (CoSim/Plot.swift) on hand-picked ranges, the number forms it writes
// (NumberText), and the study pages drawn with it.
import BMRUModel
import Batch
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("Plot axes: ticks, labels, layout")
struct PlotTests {
    static func texts(_ a: PlotAxis) -> [String] { a.labels.map(\.text) }

    @Test("linear ticks are 1-2-5 steps within the range; both ends are labelled, with one more decimal than the ticks")
    func linearTicks() {
        let a = PlotAxis(0, 345, title: "")
        #expect(a.ticks == [0, 100, 200, 300])
        #expect(Self.texts(a) == ["0", "100", "200", "300", "345"])
        #expect(a.labels.filter(\.isEnd).map(\.text) == ["345"])

        let time = PlotAxis(0, 100, title: "time (ms)", target: 10)
        #expect(time.ticks == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        #expect(time.labels.allSatisfy { !$0.isEnd })

        let current = PlotAxis(0, 1.21, title: "")
        #expect(current.ticks == [0, 0.5, 1])
        #expect(Self.texts(current) == ["0.0", "0.5", "1.0", "1.21"])

        let signed = PlotAxis(-0.4, 1.3, title: "")
        #expect(signed.ticks == [0, 0.5, 1])
        #expect(Self.texts(signed) == ["-0.4", "0.0", "0.5", "1.0", "1.3"])

        // decimal steps come out as the nearest doubles (no 0.30000000000000004)
        let small = PlotAxis(0, 0.0032, title: "")
        #expect(small.ticks == [0, 0.001, 0.002, 0.003])
        #expect(Self.texts(small) == ["0.000", "0.001", "0.002", "0.003", "0.0032"])
        let tenths = PlotAxis(0.05, 0.72, title: "", target: 8)
        #expect(tenths.ticks == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
        #expect(Self.texts(tenths) == ["0.05", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.72"])

        // frames: whole numbers only, also over few of them
        let frames = PlotAxis(0, 3, title: "frame", integer: true)
        #expect(frames.ticks == [0, 1, 2, 3] && Self.texts(frames) == ["0", "1", "2", "3"])
        #expect(PlotAxis(0, 100, title: "frame", integer: true).ticks == [0, 20, 40, 60, 80, 100])

        // the power study's state widths and percentages
        #expect(PlotAxis(0, 64, title: "", target: 8).ticks == [0, 10, 20, 30, 40, 50, 60])
        #expect(Self.texts(PlotAxis(89, 100, title: "", target: 4)) == ["89", "90", "95", "100"])
    }

    @Test("log ticks are the decades within the range (every other one beyond 10; 1-2-5 inside one decade)")
    func logTicks() {
        let a = PlotAxis(1e-3, 1, title: "", log: true)
        #expect(a.ticks == [0.001, 0.01, 0.1, 1])
        #expect(Self.texts(a) == ["0.001", "0.01", "0.1", "1"])
        let wide = PlotAxis(1e-7, 1e3, title: "", log: true)
        #expect(Self.texts(wide) == ["1e-7", "1e-5", "0.001", "0.1", "10", "1000"])
        let partial = PlotAxis(0.3, 40, title: "", log: true)
        #expect(Self.texts(partial) == ["0.3", "1", "10", "40"])
        let narrow = PlotAxis(0.15, 0.8, title: "", log: true)
        #expect(narrow.ticks == [0.2, 0.5])
        #expect(Self.texts(narrow) == ["0.15", "0.2", "0.5", "0.8"])
    }

    @Test("unusable ranges become usable ones; categories are labelled at their bands' centres")
    func degenerate() {
        let flat = PlotAxis(5, 5, title: "")
        #expect(flat.lo < 5 && flat.hi > 5 && !flat.ticks.isEmpty)
        let zero = PlotAxis(0, 0, title: "")
        #expect(zero.lo < 0 && zero.hi > 0)
        let nan = PlotAxis(.nan, .infinity, title: "")
        #expect(nan.lo == 0 && nan.hi == 1)
        let reversed = PlotAxis(3, 1, title: "")
        #expect(reversed.lo == 1 && reversed.hi == 3)
        let badLog = PlotAxis(-1, 0, title: "", log: true)
        #expect(badLog.lo > 0 && badLog.hi > badLog.lo)
        let c = PlotAxis.categories(["a", "b", "c"], title: "")
        #expect(c.ticks.isEmpty && c.labels.map(\.value) == [0.5, 1.5, 2.5] && Self.texts(c) == ["a", "b", "c"])
    }

    @Test("numbers as text: SI prefixes, fixed decimals without -0, significant digits")
    func numberText() {
        #expect(NumberText.si(3.452e-7, unit: "W") == "345.2 nW")
        #expect(NumberText.si(1.8e-8, unit: "W") == "18 nW")
        #expect(NumberText.si(1.80234e-8, unit: "W") == "18.02 nW")
        #expect(NumberText.si(0, unit: "W") == "0 W")
        #expect(NumberText.si(9.99996e-7, unit: "W") == "1 µW")
        #expect(NumberText.si(1e-9, unit: "A") == "1 nA")
        #expect(NumberText.si(0.01, unit: "s") == "10 ms")
        #expect(NumberText.si(-2.5e-12, unit: "A") == "-2.5 pA")
        #expect(NumberText.si(4.51e-15, unit: "A", digits: 3) == "4.51 fA")
        #expect(NumberText.si(1.5, unit: "V") == "1.5 V")
        #expect(NumberText.fixed(-0.0001, decimals: 2) == "0.00" && NumberText.fixed(-0.4, decimals: 1) == "-0.4")
        #expect(NumberText.fixed(300, decimals: 0) == "300")
        #expect(NumberText.significant(0.35000000000000003, digits: 4) == "0.35")
        #expect(NumberText.significant(1e-5, digits: 1) == "1e-5" && NumberText.significant(1000, digits: 1) == "1000")
        #expect(NumberText.significant(9.99996, digits: 4) == "10")
    }

    @Test("a chart: titles with units, tick labels, the legend and labelled reference lines in the SVG; pixels follow the axes")
    func chart() throws {
        var p = Plot(width: 600, height: 200, x: PlotAxis(0, 100, title: "time (ms)", target: 10),
                     y: PlotAxis(0, 1.21, title: "candidate current (nA)"), title: "a <test> chart")
        p.steps([0.2, 0.9, 0.4], dx: 10, stroke: "#f28e2b", legend: "model")
        p.dots([(9.98, 0.21), (19.98, 0.88)], fill: "#1f5fbf", legend: "circuit")
        p.reference(y: 0.7, label: "θ_high = 0.7 nA")
        p.reference(y: 0.35, label: "θ_low = 0.35 nA")
        p.band(x0: 10, x1: 20, fill: "#fff3b0")
        p.legendEntry("ambiguous frame", colour: "#fff3b0")
        let c = try SVGCharts.parse(svg: p.svg)
        #expect(c.texts.first == "a <test> chart")
        for t in ["time (ms)", "candidate current (nA)", "model", "circuit", "ambiguous frame", "θ_high = 0.7 nA", "θ_low = 0.35 nA",
                  "0", "50", "100", "0.0", "0.5", "1.0", "1.21"] {
            #expect(c.texts.contains(t), "missing \(t) in \(c.texts)")
        }
        #expect(c.elements["circle"] == 2 && c.elements["polyline"] == 1)
        #expect(c.attributes.filter { $0.element == "line" && $0.values["stroke-dasharray"] == "5 3" }.count == 2)
        // data to pixels: lo at the plot area's left / bottom edge, hi at the right / top, linear in between
        #expect(p.px(0) < p.px(50) && abs(p.px(50) - (p.px(0) + p.px(100)) / 2) < 1e-9)
        #expect(p.py(0) > p.py(1.21) && abs(p.py(0.605) - (p.py(0) + p.py(1.21)) / 2) < 1e-9)
        #expect(p.px(-5) == p.px(0) && p.py(7) == p.py(1.21), "values outside the range are clamped to the plot area")

        let log = Plot(width: 600, height: 200, x: PlotAxis(0, 1, title: "σ (units)"), y: PlotAxis(1e-3, 1, title: "ratio (log)", log: true), title: "log")
        #expect(abs(log.py(0.01) - (log.py(0.001) + log.py(0.1)) / 2) < 1e-9)
    }

    @Test("labels never touch: an end label wins over a tick label it would overlap")
    func spacing() throws {
        // 1.02 sits 0.02 above the tick 1.0: on 60 pixels they would overlap, so "1.0" is not written
        let p = Plot(width: 300, height: 90, x: PlotAxis(0, 10, title: "frame"), y: PlotAxis(0, 1.02, title: "nA"), title: "tight")
        let c = try SVGCharts.parse(svg: p.svg)
        #expect(c.texts.contains("1.02") && !c.texts.contains("1.0") && c.texts.contains("0.0"), "\(c.texts)")
        #expect(p.y.labels.map(\.text).contains("1.0"), "the tick itself is still there")
    }

    @Test("power.html and noise.html draw their charts with it: both axes labelled at the ends, legends inside, the same series")
    func studyPages() throws {
        let points = try JSONDecoder().decode([PowerPoint].self, from: Data("""
        [{"width": 4, "cells_w": 2.1e-9, "feedforward_w": 3.0e-9, "shared_w": 5e-9, "total_w": 1.01e-8, "state_agreement": 1, "jobs": ["a"]},
         {"width": 8, "cells_w": 4.0e-9, "feedforward_w": 9.1e-9, "shared_w": 5e-9, "total_w": 1.81e-8, "state_agreement": 1, "jobs": ["b"]},
         {"width": 16, "cells_w": 8.2e-9, "feedforward_w": 3.3e-8, "shared_w": 5e-9, "total_w": 4.62e-8, "state_agreement": 0.99, "jobs": ["c"]}]
        """.utf8))
        let power = PowerStudy.result(points)
        let dir = try TestEnvironment.temporaryDirectory("study-pages")
        let powerHTML = PowerStudyPage.html(power)
        try powerHTML.write(toFile: dir + "/power.html", atomically: true, encoding: .utf8)
        let pc = try SVGCharts.parse(html: powerHTML)
        #expect(pc.count == 1)
        let texts = try #require(pc.first).texts
        #expect(texts.first == "power against the state width")
        #expect(texts.contains("state width N") && texts.contains("power (nW)"))
        #expect(texts.contains("0") && texts.contains("16"), "x axis labelled from 0 to 16: \(texts)")
        #expect(texts.contains("cells (linear, R² \(String(format: "%.3f", power.fits.cells.r2)))"))
        #expect(texts.contains("feedforward (quadratic, R² \(String(format: "%.3f", power.fits.feedforward.r2)))"))
        #expect(pc[0].elements["circle"] == 2 * points.count && pc[0].elements["polyline"] == 2)

        let noise = try NoiseStudyResult.decode(Data("""
        {"format": "bmru-noise", "version": 1, "network": "tiny", "frames": 30, "corner": "typical", "temperature_c": 27, "runs": 9,
         "definitions": {"ratio": "input error RMS / output error RMS"},
         "cells": [
          {"layer": "cell", "source": "input", "sigma": 0.05, "samples": 60, "input_error_rms": 0.05, "output_error_rms": 0.002, "ratio": 25,
           "output_error_rms_state_kept": 0.001, "ratio_state_kept": 50, "flip_rate": 0.01,
           "reference": "noiseless_circuit", "flip_rate_vs_model": 0.01, "output_error_rms_vs_model": 0.002},
          {"layer": "cell", "source": "input", "sigma": 0.3, "samples": 60, "input_error_rms": 0.3, "output_error_rms": 0.2, "ratio": 1.5,
           "output_error_rms_state_kept": 0.01, "ratio_state_kept": 30, "flip_rate": 0.2,
           "reference": "noiseless_circuit", "flip_rate_vs_model": 0.2, "output_error_rms_vs_model": 0.2}],
         "accumulation_more": [], "device_noise_physical": [{"layer": "cell", "mean_candidate_a": 3e-10, "shot_sigma_units": 0.001}],
         "suppression": {"value": 25, "sigma": 0.05, "source": "input", "flip_rate": 0.01, "definition": "the ratio at the largest σ below 5 % flips"},
         "accumulation": {"frames": 4, "sigma": 0.05,
          "bmru": {"kind": "fq_bmru_circuit", "slope_per_frame": 0, "first_quarter_rms": 0.01, "last_quarter_rms": 0.01, "growth": 1, "frame_error": [0.01, 0.02, 0.01, 0.01]},
          "bmru_noiseless": {"kind": "fq_bmru_circuit_noiseless", "slope_per_frame": 0, "first_quarter_rms": 0, "last_quarter_rms": 0, "frame_error": [0, 0, 0, 0]},
          "baseline": {"kind": "continuous_state_model", "slope_per_frame": 0.01, "first_quarter_rms": 0.02, "last_quarter_rms": 0.05, "growth": 2.5, "frame_error": [0.02, 0.03, 0.04, 0.05]}}}
        """.utf8))
        let noiseHTML = NoiseStudyPage.html(noise)
        try noiseHTML.write(toFile: dir + "/noise.html", atomically: true, encoding: .utf8)
        let nc = try SVGCharts.parse(html: noiseHTML)
        #expect(nc.map { $0.texts.first } == ["output error against frame (units)", "input error / output error against σ", "flip rate against σ"])
        #expect(nc[0].texts.contains("frame") && nc[0].texts.contains("RMS output error (units)") && nc[0].texts.contains("continuous-state baseline"))
        #expect(["0", "1", "2", "3"].allSatisfy(nc[0].texts.contains) && !nc[0].texts.contains("0.5"), "frames are whole: \(nc[0].texts)")
        // the ratio on a log axis: decades 1 to 100 around 1.5 … 25
        #expect(nc[1].texts.contains("ratio (log)") && nc[1].texts.contains("1") && nc[1].texts.contains("10") && nc[1].texts.contains("100"))
        #expect(nc[1].texts.contains("cell · input") && nc[1].elements["circle"] == 2)
        #expect(nc[2].texts.contains("flip rate (%)") && nc[2].texts.contains("σ (units)") && nc[2].texts.contains("0.30"))
    }
}
