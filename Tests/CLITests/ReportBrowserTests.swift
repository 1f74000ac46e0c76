// report.html as a reader sees it: `bmru cosim` on the shipped tiny network, the page rendered by a real headless
// browser (Debian's chromium), its screenshot decoded and its rendered DOM searched for what a reader needs:
// numeric axis labels in nA, θ lines labelled with their values, the table of contents, layers in network order.
// The expected labels come from examples/tiny.json itself, not from the code that writes the page.
import Foundation
import TestSupport
import Testing

@Suite("report.html in a headless browser (chromium, real ngspice)", .serialized)
struct ReportBrowserTests {
    /// What tiny.json says, read as plain JSON.
    struct Tiny {
        var layers: [(name: String, kind: String, units: Int)] = []
        /// per bmru unit "layer[j]": θ_low and θ_high in nA
        var thresholds: [(unit: String, low: Double, high: Double)] = []
        var unitCurrent = 0.0
        var framePeriod = 0.0
        var frames = 0
    }

    static func tiny() throws -> Tiny {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TinyExample.network)))
        let net = try #require(object as? [String: Any])
        var t = Tiny()
        t.unitCurrent = try #require(net["unit_current"] as? Double)
        t.framePeriod = try #require(net["frame_period"] as? Double)
        for layer in try #require(net["layers"] as? [[String: Any]]) {
            let name = try #require(layer["name"] as? String), kind = try #require(layer["kind"] as? String)
            let bias = try #require(layer["bias"] as? [Double])
            t.layers.append((name, kind, bias.count))
            if kind == "bmru" {
                let lo = try #require(layer["theta_low"] as? [Double]), hi = try #require(layer["theta_high"] as? [Double])
                for j in lo.indices { t.thresholds.append(("\(name)[\(j)]", lo[j] * t.unitCurrent / 1e-9, hi[j] * t.unitCurrent / 1e-9)) }
            }
        }
        t.frames = try String(contentsOfFile: TinyExample.stimulus, encoding: .utf8).split(separator: "\n").count - 1
        return t
    }

    /// `chromium --headless --no-sandbox --disable-gpu ARGS URL` (its own profile folder in `dir`, at most 120 s).
    static func chromium(_ args: [String], url: String, dir: String) throws -> TestEnvironment.ProcessOutput {
        let browser = try TestEnvironment.chromium()
        return try TestEnvironment.run("/usr/bin/timeout", ["120", browser, "--headless", "--no-sandbox", "--disable-gpu",
                                                            "--user-data-dir=\(dir)/chromium-profile"] + args + [url])
    }

    /// The text labels of one chart with their attributes, in document order (the <title> left out).
    static func labels(_ chart: SVGCharts.Chart) -> [(text: String, attributes: [String: String])] {
        Array(zip(chart.texts.dropFirst(), chart.attributes.filter { $0.element == "text" }.map(\.values)))
            .map { (text: $0.0, attributes: $0.1) }
    }

    @Test("the rendered page: a non-trivial screenshot; nA tick labels, θ lines with their values, the contents, layers in network order; deck.raw linked only when kept")
    func renderedReport() throws {
        let tiny = try Self.tiny()
        let dir = try TestEnvironment.temporaryDirectory("report-browser")
        let cosim = try BMRU.cosimTiny(dir + "/r")
        #expect(cosim.status == 0, "\(cosim.stderr)")
        let url = "file://" + dir + "/r/report.html"

        // 1. the screenshot: a PNG of the window's size, not one colour, with coloured marks (the charts)
        let shot = dir + "/report.png"
        let s = try Self.chromium(["--screenshot=\(shot)", "--window-size=1200,3000"], url: url, dir: dir)
        #expect(s.status == 0, "chromium --screenshot: exit \(s.status): \(s.stderr.suffix(1500))")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 30_000, "screenshot of \(png.count) bytes")
        let size = try PNGImage.dimensions(png)
        #expect(size.width == 1200 && size.height == 3000, "\(size)")
        let image = try PNGImage(png)
        let colours = image.histogram(step: 2)
        let sampled = colours.values.reduce(0, +), commonest = colours.values.max() ?? 0
        #expect(colours.count > 50, "\(colours.count) colours")
        #expect(Double(commonest) < 0.97 * Double(sampled), "one colour covers \(commonest) of \(sampled) pixels")
        // saturated pixels: the chart's lines, dots, bars and heat map (text and borders are grey)
        let saturated = colours.filter { c, _ in
            let r = c >> 16 & 0xFF, g = c >> 8 & 0xFF, b = c & 0xFF
            return max(r, g, b) - min(r, g, b) > 80
        }.values.reduce(0, +)
        #expect(saturated > 2000, "\(saturated) saturated pixels of \(sampled)")

        // 2. the rendered DOM
        let d = try Self.chromium(["--dump-dom"], url: url, dir: dir)
        #expect(d.status == 0, "chromium --dump-dom: exit \(d.status): \(d.stderr.suffix(1500))")
        let dom = d.stdout
        #expect(dom.contains("</html>"), "\(dom.prefix(300))")
        let charts = try SVGCharts.parse(html: dom)
        func chart(_ titlePrefix: String) -> SVGCharts.Chart? { charts.first { $0.texts.first?.hasPrefix(titlePrefix) == true } }

        // the candidate charts: y tick labels (numbers, increasing upwards, 0 to above θ_high) under a title in nA,
        // time ticks from 0 to the end of the run in ms, and both θ lines labelled with their values in nA
        let endMs = Double(tiny.frames) * tiny.framePeriod * 1000
        #expect(!tiny.thresholds.isEmpty)
        for th in tiny.thresholds {
            let c = try #require(chart("\(th.unit): candidate current"), "no candidate chart of \(th.unit) in the DOM")
            let texts = Self.labels(c)
            #expect(texts.contains { $0.text == "candidate current (nA)" })
            let low = "θ_low = \(String(format: "%g", th.low)) nA", high = "θ_high = \(String(format: "%g", th.high)) nA"
            #expect(texts.contains { $0.text == low } && texts.contains { $0.text == high }, "\(texts.map(\.text)) lacks \(low) / \(high)")
            #expect(c.attributes.filter { $0.element == "line" && $0.values["stroke-dasharray"] != nil }.count == 2)
            let yTicks = texts.filter { $0.attributes["text-anchor"] == "end" && Double($0.attributes["x"] ?? "") ?? 999 < 150 }
                .compactMap { t in Double(t.text).map { (value: $0, y: Double(t.attributes["y"] ?? "") ?? 0) } }
            #expect(yTicks.count >= 3, "y labels \(yTicks)")
            let byHeight = yTicks.sorted { $0.y > $1.y }
            #expect(zip(byHeight, byHeight.dropFirst()).allSatisfy { $0.value < $1.value }, "y labels not increasing upwards: \(byHeight)")
            #expect(yTicks.contains { $0.value == 0 } && (yTicks.map(\.value).max() ?? 0) >= th.high, "\(yTicks)")
            #expect(texts.contains { $0.text == "time (ms)" })
            let xTicks = texts.filter { $0.attributes["text-anchor"] == "middle" }.compactMap { Double($0.text) }
            #expect(xTicks.count >= 5 && xTicks.contains(0) && xTicks.contains(endMs), "x labels \(xTicks), run ends at \(endMs) ms")
        }
        // every unit's output current in nA
        for l in tiny.layers {
            for j in 0..<l.units {
                let c = try #require(chart("\(l.name)[\(j)]: output current"), "no output chart of \(l.name)[\(j)]")
                #expect(Self.labels(c).contains { $0.text == "output current (nA)" })
            }
        }
        // the stimulus heat map has its colour scale in nA; the decisions chart its vote
        let heat = try #require(chart("input stimulus"))
        #expect(Self.labels(heat).contains { $0.text == "input (nA)" })
        let decisions = try #require(chart("decisions"))
        #expect(Self.labels(decisions).contains { $0.text.hasPrefix("majority vote over \(tiny.frames) frames") })

        // the table of contents, and the sections it links to
        let nav = try #require(dom.range(of: "<nav").flatMap { start in dom.range(of: "</nav>", range: start.upperBound..<dom.endIndex).map { dom[start.lowerBound..<$0.upperBound] } })
        for (anchor, entry) in [("summary", "Summary"), ("stimulus", "Input stimulus"), ("agreement", "Agreement"), ("layers", "Layers"),
                                ("power", "Power"), ("files", "Files")] {
            #expect(nav.contains("href=\"#\(anchor)\">\(entry)</a>"), "contents lack \(entry)")
            #expect(dom.contains("id=\"\(anchor)\""), "no section \(anchor)")
        }
        // layers in network order, in the contents and in the page
        var lastNav = nav.startIndex, lastPage = dom.startIndex
        for l in tiny.layers {
            let inNav = try #require(nav.range(of: "href=\"#layer-\(l.name)\">\(l.name)</a>"), "contents lack layer \(l.name)")
            #expect(inNav.lowerBound > lastNav, "\(l.name) out of network order in the contents")
            lastNav = inNav.lowerBound
            let section = try #require(dom.range(of: "id=\"layer-\(l.name)\""), "no section of layer \(l.name)")
            #expect(section.lowerBound > lastPage, "\(l.name) out of network order in the page")
            lastPage = section.lowerBound
        }
        // power with an SI prefix ("18.02 nW"), not "1.8e-08 W"
        let power = try #require(dom.range(of: "<th>average power, total</th><td>").map { dom[$0.upperBound...].prefix { $0 != "<" } })
        #expect(power.range(of: #"^[0-9]+(\.[0-9]+)? [fpnµm]?W$"#, options: .regularExpression) != nil, "power shown as \(power)")
        // the files beside the page; deck.raw linked only when it is there
        #expect(dom.contains("<a href=\"waveforms.csv\">waveforms.csv</a>") && !dom.contains("href=\"deck.raw\""))
        let kept = try BMRU.run(["cosim", TinyExample.network, "--input", TinyExample.stimulus, "--out", dir + "/k", "--keep-raw", "--quiet"], models: true)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/k/deck.raw"))
        #expect(try String(contentsOfFile: dir + "/k/report.html", encoding: .utf8).contains("<a href=\"deck.raw\">deck.raw</a>"))
    }
}
