import BMRUModel
import Foundation

// The one chart with axes of every HTML page (report.html, summary.html, power.html, noise.html): data
// coordinates mapped to pixels, "nice" ticks with numeric labels and both ends labelled, axis titles that carry
// the unit, a legend inside the chart, labelled reference lines, optional log axis, strips of per-frame labels
// and a colour scale for heat maps. Callers give values already in the unit the title names (ms, nA, nW, V).

/// One axis: its range, its title (with the unit, e.g. "current (nA)"), linear or logarithmic, or named bands.
public struct PlotAxis: Sendable, Equatable {
    public var lo: Double
    public var hi: Double
    public var title: String
    public var log: Bool
    /// names of the bands [i, i + 1) on 0…count (a heat map's rows, a bar chart's bars), labelled at their
    /// centres instead of numeric ticks; nil: a numeric axis
    public var categories: [String]?
    /// about how many ticks (a linear axis takes the 1-2-5 step that gives at most this many intervals)
    public var target: Int
    /// ticks on whole numbers only (frames, widths): the step is at least 1
    public var integer: Bool

    /// A numeric axis on [lo, hi]. A range that is empty, reversed or not finite becomes a usable one (hi > lo;
    /// on a log axis both positive).
    public init(_ lo: Double, _ hi: Double, title: String, log: Bool = false, target: Int = 5, integer: Bool = false) {
        var a = lo.isFinite ? lo : 0, b = hi.isFinite ? hi : 1
        if a > b { swap(&a, &b) }
        if log {
            if b <= 0 { b = 1 }
            if a <= 0 { a = b / 1000 }
            if b <= a { a /= 10; b *= 10 }
        } else if b <= a {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            a -= pad; b += pad
        }
        self.lo = a; self.hi = b; self.title = title; self.log = log; self.categories = nil; self.target = max(1, target)
        self.integer = integer && !log
    }

    /// Named bands 0…count, one per name.
    public static func categories(_ names: [String], title: String) -> PlotAxis {
        var a = PlotAxis(0, Double(max(names.count, 1)), title: title)
        a.categories = names
        return a
    }

    /// No labels, no title (a strip of dots on one numeric axis).
    public static let none: PlotAxis = .categories([], title: "")

    /// Where the value lies on the axis, 0 at lo and 1 at hi (log: in decades).
    public func fraction(_ v: Double) -> Double {
        if log { return (Foundation.log10(max(v, Double.leastNormalMagnitude)) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) }
        return (v - lo) / (hi - lo)
    }

    /// The step between ticks of a linear axis: 1, 2 or 5 × 10^e, the smallest that gives at most `target`
    /// intervals over the range; (mantissa, exponent).
    public var step: (mantissa: Int, exponent: Int) {
        let raw = (hi - lo) / Double(target)
        if integer && raw <= 1 { return (1, 0) }
        var e = Int(Foundation.log10(raw).rounded(.down))
        for _ in 0..<2 {
            for m in [1, 2, 5] where Self.value(m, e) >= raw * (1 - 1e-9) { return (m, e) }
            e += 1
        }
        return (1, e)
    }

    /// m × 10^e, computed so that decimal steps come out as the nearest double (0.1 × 3 is 0.3).
    static func value(_ m: Int, _ e: Int) -> Double {
        e >= 0 ? Double(m) * pow(10, Double(e)) : Double(m) / pow(10, Double(-e))
    }

    /// The ticks: multiples of `step` within the range, or on a log axis the decades within it (every
    /// other one or more when there are over 10; 1-2-5 within the decade when the range holds less than two).
    public var ticks: [Double] {
        guard categories == nil else { return [] }
        if log {
            // log10 of a decade may come out a hair off the integer
            let a = Int((Foundation.log10(lo) - 1e-9).rounded(.up)), b = Int((Foundation.log10(hi) + 1e-9).rounded(.down))
            var decades = a <= b ? Array(a...b) : []
            if decades.count < 2 {
                var out: [Double] = []
                for e in (a - 1)...(b + 1) {
                    for m in [1, 2, 5] {
                        let v = Self.value(m, e)
                        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { out.append(v) }
                    }
                }
                return out
            }
            let every = (decades.count + 9) / 10
            decades = decades.filter { ($0 - a) % every == 0 }
            return decades.map { Self.value(1, $0) }
        }
        let (m, e) = step
        let s = Self.value(m, e)
        let first = Int((lo / s - 1e-9).rounded(.up)), last = Int((hi / s + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).map { e >= 0 ? Double($0 * m) * pow(10, Double(e)) : Double($0 * m) / pow(10, Double(-e)) }
    }

    public struct Label: Sendable, Equatable {
        public var value: Double
        public var text: String
        /// one of the range's ends (not a tick)
        public var isEnd: Bool
    }

    /// Every tick's label, and the ends' where they are not ticks, in increasing order. Tick labels have the
    /// step's decimals ("0.2", "300"), end labels one more ("1.21", "345"); log ticks are decades ("0.01",
    /// "1e-5"). Categories: each band's name at its centre.
    public var labels: [Label] {
        if let names = categories {
            return names.enumerated().map { Label(value: Double($0.offset) + 0.5, text: $0.element, isEnd: false) }
        }
        let t = ticks
        var out: [Label] = []
        let decimals = log ? 0 : max(0, -step.exponent)
        for v in t {
            out.append(Label(value: v, text: log ? NumberText.significant(v, digits: 1) : NumberText.fixed(v, decimals: decimals), isEnd: false))
        }
        func endText(_ v: Double) -> String {
            if log { return NumberText.significant(v, digits: 2) }
            var s = NumberText.fixed(v, decimals: decimals + 1)
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
            return s
        }
        let tolerance = log ? 1e-9 : (hi - lo) * 1e-9
        for end in [lo, hi] where !t.contains(where: { abs(log ? $0 / end - 1 : $0 - end) <= tolerance }) {
            let text = endText(end)
            if out.contains(where: { $0.text == text }) { continue }
            out.append(Label(value: end, text: text, isEnd: true))
        }
        return out.sorted { $0.value < $1.value }
    }
}

/// A chart with axes, drawn onto an `SVGChart`: add marks in data coordinates, then take `svg`.
public struct Plot: Sendable {
    public let width: Double
    public let height: Double
    public var x: PlotAxis
    public var y: PlotAxis
    let title: String

    /// margins left of and right of the plot area, pixels
    public var left: Double
    public var right: Double

    enum Mark: Sendable {
        case band(x0: Double, x1: Double, fill: String)
        case rect(x0: Double, x1: Double, y0: Double, y1: Double, fill: String)
        case line([(x: Double, y: Double)], stroke: String, width: Double, dash: String?)
        case dots([(x: Double, y: Double)], r: Double, fill: String, opacity: Double?)
        case gridX([Double], stroke: String)
        case text(String, x: Double, y: Double, size: Double, anchor: String?)
    }

    public enum Swatch: Sendable { case line, dashed, dot, box }

    struct LegendEntry: Sendable { var name: String; var colour: String; var swatch: Swatch }
    struct Reference: Sendable { var value: Double; var label: String; var stroke: String }
    struct Strip: Sendable { var label: String; var cells: [(x0: Double, x1: Double, text: String?, fill: String)] }
    struct ColourScale: Sendable { var lo: Double; var hi: Double; var title: String }

    var marks: [Mark] = []
    var legend: [LegendEntry] = []
    var references: [Reference] = []
    var strips: [Strip] = []
    var notes: [String] = []
    var colourScale: ColourScale?

    static let font = 11.0, titleFont = 12.0

    /// `height`: of the whole chart; the plot area is what the legend, notes, strips and axis labels leave.
    /// `title`: the chart's accessible name (an SVG <title>).
    public init(width: Double, height: Double, x: PlotAxis, y: PlotAxis, title: String) {
        self.width = width; self.height = height; self.x = x; self.y = y; self.title = title
        let yLabelWidth = (y.labels.map { Self.textWidth($0.text, size: Self.font) }.max() ?? 0)
        left = y.categories?.isEmpty == true ? 8 : max(40, yLabelWidth + 14)
        right = 24
    }

    /// Roughly how wide a text is drawn, pixels (for layout; sans-serif averages about 0.58 em per character).
    static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.58 }

    // MARK: layout

    var legendRows: [[(entry: LegendEntry, x: Double)]] {
        var rows: [[(entry: LegendEntry, x: Double)]] = [[]]
        let start = y.title.isEmpty ? 8 : Self.textWidth(y.title, size: Self.titleFont) + 28
        var cursor = start
        for e in legend {
            let w = 22 + Self.textWidth(e.name, size: Self.font) + 14
            if cursor + w > width - 8 && !rows[rows.count - 1].isEmpty {
                rows.append([]); cursor = 8
            }
            rows[rows.count - 1].append((e, cursor))
            cursor += w
        }
        return rows
    }

    var headerRows: Int { (y.title.isEmpty && legend.isEmpty) ? 0 : legendRows.count }
    var plotTop: Double { (headerRows == 0 ? 6 : 6 + 16 * Double(headerRows)) + 15 * Double(notes.count) + 15 * Double(strips.count) + 4 }
    var plotBottom: Double { height - (x.title.isEmpty && x.labels.isEmpty ? 6 : (x.title.isEmpty ? 20 : 36)) }
    var plotLeft: Double { left }
    var plotRight: Double { width - right - (colourScale == nil ? 0 : 80) }

    /// The pixel column of an x value (clamped to the plot area).
    public func px(_ v: Double) -> Double {
        plotLeft + min(max(x.fraction(v), 0), 1) * (plotRight - plotLeft)
    }

    /// The pixel row of a y value (clamped to the plot area).
    public func py(_ v: Double) -> Double {
        plotBottom - min(max(y.fraction(v), 0), 1) * (plotBottom - plotTop)
    }

    // MARK: marks, in data coordinates

    /// A vertical band across the plot area (ambiguous frames), behind everything else.
    public mutating func band(x0: Double, x1: Double, fill: String) { marks.append(.band(x0: x0, x1: x1, fill: fill)) }

    /// Light vertical lines at these x values (frame boundaries), behind the data.
    public mutating func gridX(_ values: [Double], stroke: String = "#eee") { marks.append(.gridX(values, stroke: stroke)) }

    /// A filled rectangle (a heat-map cell, a bar).
    public mutating func rect(x0: Double, x1: Double, y0: Double, y1: Double, fill: String) {
        marks.append(.rect(x0: x0, x1: x1, y0: y0, y1: y1, fill: fill))
    }

    /// A polyline through the points; `legend`: its entry in the legend.
    public mutating func line(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 1.5, dash: String? = nil,
                              legend: String? = nil) {
        marks.append(.line(points.filter { $0.x.isFinite && $0.y.isFinite && (!y.log || $0.y > 0) }, stroke: stroke, width: width, dash: dash))
        if let legend { self.legend.append(.init(name: legend, colour: stroke, swatch: dash == nil ? .line : .dashed)) }
    }

    /// A step line: value k held over [x0 + k·dx, x0 + (k + 1)·dx).
    public mutating func steps(_ values: [Double], x0: Double = 0, dx: Double, stroke: String, width: Double = 2, legend: String? = nil) {
        var pts: [(x: Double, y: Double)] = []
        pts.reserveCapacity(values.count * 2)
        for (k, v) in values.enumerated() {
            pts.append((x0 + Double(k) * dx, v)); pts.append((x0 + Double(k + 1) * dx, v))
        }
        line(pts, stroke: stroke, width: width, legend: legend)
    }

    /// A dot per point.
    public mutating func dots(_ points: [(x: Double, y: Double)], r: Double = 2, fill: String, opacity: Double? = nil, legend: String? = nil) {
        marks.append(.dots(points.filter { $0.x.isFinite && $0.y.isFinite && (!y.log || $0.y > 0) }, r: r, fill: fill, opacity: opacity))
        if let legend { self.legend.append(.init(name: legend, colour: fill, swatch: .dot)) }
    }

    /// A legend entry without a mark of its own (a band's colour, a bar's).
    public mutating func legendEntry(_ name: String, colour: String, swatch: Swatch = .box) {
        legend.append(.init(name: name, colour: colour, swatch: swatch))
    }

    /// A dashed horizontal line across the plot area at `y`, with its label (e.g. "θ_low = 0.3 nA") at the right.
    public mutating func reference(y value: Double, label: String, stroke: String = "#666") {
        references.append(.init(value: value, label: label, stroke: stroke))
    }

    /// A text in data coordinates.
    public mutating func text(_ s: String, x: Double, y: Double, size: Double = 11, anchor: String? = nil) {
        marks.append(.text(s, x: x, y: y, size: size, anchor: anchor))
    }

    /// A line of text above the plot area (e.g. the majority vote).
    public mutating func note(_ s: String) { notes.append(s) }

    /// A row of labelled cells above the plot area, aligned with the x axis (per-frame decisions). A cell's
    /// text is written only where it fits.
    public mutating func strip(_ label: String, cells: [(x0: Double, x1: Double, text: String?, fill: String)]) {
        strips.append(.init(label: label, cells: cells))
    }

    /// A colour scale beside the plot area (heat maps): `colour(fraction)` from lo (0) to hi (1), with ticks.
    public mutating func colourScale(lo: Double, hi: Double, title: String) {
        colourScale = .init(lo: lo, hi: hi, title: title)
    }

    /// The heat-map colour of a fraction in [0, 1]: light yellow through green to dark blue (viridis stops).
    public static func colour(_ f: Double) -> String {
        let stops: [(Double, Double, Double)] = [(253, 231, 37), (94, 201, 98), (33, 145, 140), (59, 82, 139), (68, 1, 84)]
        let t = min(max(f.isFinite ? f : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(t), stops.count - 2), w = t - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int((a + (b - a) * w).rounded())
        }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    // MARK: drawing

    /// The <svg> element: background marks, data, reference lines, axes with their labels, strips, legend, notes.
    public var svg: String {
        var c = SVGChart(width: width, height: height, title: title)
        let top = plotTop, bottom = plotBottom, l = plotLeft, r = plotRight
        // behind the data: bands, grid lines at the ticks and the caller's grid
        for m in marks {
            if case let .band(x0, x1, fill) = m {
                c.rect(x: px(x0), y: top, width: max(px(x1) - px(x0), 1), height: bottom - top, fill: fill)
            }
        }
        let xTicks = x.ticks
        c.segments(xTicks.map { (px($0), top, px($0), bottom) } + y.ticks.map { (l, py($0), r, py($0)) }, stroke: "#e4e4e4")
        for m in marks {
            if case let .gridX(values, stroke) = m {
                // where a tick's grid line is already drawn, no second line
                let columns = values.map(px).filter { v in !xTicks.contains { abs(px($0) - v) < 0.5 } }
                c.segments(columns.map { ($0, top, $0, bottom) }, stroke: stroke)
            }
        }
        for m in marks {
            switch m {
            case let .rect(x0, x1, y0, y1, fill):
                let a = px(min(x0, x1)), b = px(max(x0, x1)), p = py(max(y0, y1)), q = py(min(y0, y1))
                c.rect(x: a, y: p, width: max(b - a, 0.5), height: max(q - p, 0.5), fill: fill)
            case let .line(points, stroke, w, dash):
                if dash == nil {
                    c.polyline(points.map { (px($0.x), py($0.y)) }, stroke: stroke, width: w)
                } else {
                    c.segments(zip(points, points.dropFirst()).map { (px($0.x), py($0.y), px($1.x), py($1.y)) }, stroke: stroke, width: w, dash: dash)
                }
            case let .dots(points, radius, fill, opacity):
                for p in points { c.circle(x: px(p.x), y: py(p.y), r: radius, fill: fill, opacity: opacity) }
            case let .text(s, tx, ty, size, anchor):
                c.text(s, x: px(tx), y: py(ty), size: size, anchor: anchor, halo: true)
            case .band, .gridX:
                break
            }
        }
        // reference lines, labelled at the right end; a label that would touch the one before goes below its line
        var lastLabelY = -Double.infinity
        for ref in references.sorted(by: { $0.value > $1.value }) {
            let yy = py(ref.value)
            c.line(x1: l, y1: yy, x2: r, y2: yy, stroke: ref.stroke, dash: "5 3")
            let above = yy - 3, below = yy + Self.font + 1
            let ly = above - lastLabelY < Self.font + 1 ? below : above
            c.text(ref.label, x: r - 4, y: ly, size: Self.font, anchor: "end", fill: "#333", halo: true)
            lastLabelY = ly
        }
        // axes
        c.line(x1: l, y1: bottom, x2: r, y2: bottom, stroke: "#333")
        if y.categories?.isEmpty != true { c.line(x1: l, y1: top, x2: l, y2: bottom, stroke: "#333") }
        // x labels: an end label wins over a tick label it would touch
        let xl = Self.spaced(x.labels, position: { px($0) }, size: { Self.textWidth($0, size: Self.font) + 8 })
        var marksOut: [(x1: Double, y1: Double, x2: Double, y2: Double)] = []
        if x.categories == nil { marksOut += x.labels.map { (px($0.value), bottom, px($0.value), bottom + 4) } }
        if y.categories == nil { marksOut += y.labels.map { (l - 4, py($0.value), l, py($0.value)) } }
        c.segments(marksOut, stroke: "#333")
        for lab in x.labels {
            let xx = px(lab.value)
            guard xl.contains(lab.text) else { continue }
            let anchor = lab.isEnd && lab.value == x.hi && xx + Self.textWidth(lab.text, size: Self.font) / 2 > width ? "end" : "middle"
            c.text(lab.text, x: xx, y: bottom + 15, size: Self.font, anchor: anchor, fill: lab.isEnd ? "#000" : "#333")
        }
        if !x.title.isEmpty {
            c.text(x.title, x: (l + r) / 2, y: height - 5, size: Self.titleFont, anchor: "middle")
        }
        let yl = Self.spaced(y.labels, position: { py($0) }, size: { _ in Self.font + 1 })
        for lab in y.labels {
            let yy = py(lab.value)
            guard yl.contains(lab.text) else { continue }
            c.text(lab.text, x: l - 6, y: yy + 4, size: Self.font, anchor: "end", fill: lab.isEnd ? "#000" : "#333")
        }
        // header: the y title, the legend, the notes and the strips
        if !y.title.isEmpty { c.text(y.title, x: 4, y: 17, size: Self.titleFont) }
        for (i, row) in legendRows.enumerated() {
            let ry = 6 + 16 * Double(i)
            for (e, ex) in row {
                switch e.swatch {
                case .line: c.segments([(ex, ry + 7, ex + 18, ry + 7)], stroke: e.colour, width: 2)
                case .dashed: c.segments([(ex, ry + 7, ex + 18, ry + 7)], stroke: e.colour, width: 2, dash: "5 3")
                case .dot: c.rect(x: ex + 6, y: ry + 4, width: 6, height: 6, fill: e.colour)
                case .box: c.rect(x: ex + 3, y: ry + 2, width: 12, height: 10, fill: e.colour)
                }
                c.text(e.name, x: ex + 22, y: ry + 11, size: Self.font)
            }
        }
        var rowY = 6 + 16 * Double(headerRows)
        for n in notes {
            c.text(n, x: l, y: rowY + 11, size: Self.font)
            rowY += 15
        }
        for s in strips {
            c.text(s.label, x: l - 6, y: rowY + 10, size: Self.font - 1, anchor: "end")
            for cell in s.cells {
                let a = px(cell.x0), b = px(cell.x1)
                c.rect(x: a, y: rowY, width: max(b - a - 0.5, 0.5), height: 13, fill: cell.fill)
                if let t = cell.text, Self.textWidth(t, size: Self.font - 1) + 2 <= b - a {
                    c.text(t, x: (a + b) / 2, y: rowY + 10, size: Self.font - 1, anchor: "middle", fill: "#fff")
                }
            }
            rowY += 15
        }
        // the colour scale: a column of steps from lo (bottom) to hi (top), with its ticks and title
        if let s = colourScale {
            let sx = r + 18, steps = 24
            let axis = PlotAxis(s.lo, s.hi, title: s.title, target: 4)
            for k in 0..<steps {
                let y0 = bottom - (bottom - top) * Double(k + 1) / Double(steps)
                c.rect(x: sx, y: y0, width: 14, height: (bottom - top) / Double(steps) + 0.5, fill: Self.colour((Double(k) + 0.5) / Double(steps)))
            }
            let sl = Self.spaced(axis.labels, position: { bottom - axis.fraction($0) * (bottom - top) }, size: { _ in Self.font + 1 })
            for lab in axis.labels where sl.contains(lab.text) {
                let yy = bottom - axis.fraction(lab.value) * (bottom - top)
                c.line(x1: sx + 14, y1: yy, x2: sx + 18, y2: yy, stroke: "#333")
                c.text(lab.text, x: sx + 20, y: yy + 4, size: Self.font)
            }
            c.text(s.title, x: sx - 4, y: top - 4 > 10 ? top - 4 : height - 5, size: Self.font)
        }
        return c.svg
    }

    /// The label texts to write, so that no two touch: end labels first, then ticks in order where they fit.
    static func spaced(_ labels: [PlotAxis.Label], position: (Double) -> Double, size: (String) -> Double) -> Set<String> {
        var placed: [(p: Double, half: Double)] = []
        var keep = Set<String>()
        for lab in labels.filter(\.isEnd) + labels.filter({ !$0.isEnd }) {
            let p = position(lab.value), half = size(lab.text) / 2
            if placed.contains(where: { abs($0.p - p) < $0.half + half }) { continue }
            placed.append((p, half)); keep.insert(lab.text)
        }
        return keep
    }
}
