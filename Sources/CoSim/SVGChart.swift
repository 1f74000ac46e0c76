import Foundation

/// An inline SVG canvas for the HTML pages: a fixed size in pixels and the marks drawn on it, in drawing order.
/// Every text and attribute value is XML-escaped here, coordinates are written with one decimal. Charts with axes
/// are drawn through `Plot`, which maps data to pixels and draws onto this canvas.
public struct SVGChart: Sendable {
    public let width: Double
    public let height: Double
    private let title: String?
    private var marks = ""

    /// `title`: the chart's accessible name (an SVG <title>, shown as a tooltip)
    public init(width: Double, height: Double, title: String? = nil) {
        self.width = width; self.height = height; self.title = title
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String) {
        marks += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" fill=\"\(XML.escape(fill))\"/>"
    }

    /// `dash`: an SVG stroke-dasharray ("4 3"), nil for a solid line
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, dash: String? = nil) {
        marks += "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(XML.escape(stroke))\""
            + (dash.map { " stroke-dasharray=\"\(XML.escape($0))\"" } ?? "") + "/>"
    }

    /// Straight segments as one <path> (grid lines, tick marks: one element instead of one per line).
    public mutating func segments(_ segments: [(x1: Double, y1: Double, x2: Double, y2: Double)], stroke: String, width: Double = 1,
                                  dash: String? = nil) {
        guard !segments.isEmpty else { return }
        let d = segments.map { "M\(Self.n($0.x1)) \(Self.n($0.y1))L\(Self.n($0.x2)) \(Self.n($0.y2))" }.joined()
        marks += "<path fill=\"none\" stroke=\"\(XML.escape(stroke))\" stroke-width=\"\(Self.n(width))\" d=\"\(d)\""
            + (dash.map { " stroke-dasharray=\"\(XML.escape($0))\"" } ?? "") + "/>"
    }

    public mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double) {
        let p = points.map { "\(Self.n($0.x)),\(Self.n($0.y))" }.joined(separator: " ")
        marks += "<polyline fill=\"none\" stroke=\"\(XML.escape(stroke))\" stroke-width=\"\(Self.n(width))\" points=\"\(p)\"/>"
    }

    /// `opacity`: the fill's opacity in [0, 1], nil for opaque
    public mutating func circle(x: Double, y: Double, r: Double, fill: String, opacity: Double? = nil) {
        marks += "<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(XML.escape(fill))\""
            + (opacity.map { " fill-opacity=\"\(Self.n($0))\"" } ?? "") + "/>"
    }

    /// `text` on its baseline at (x, y), escaped. `anchor`: where (x, y) is on the text, "start" (nil, the left
    /// end), "middle" or "end"; `fill`: its colour (nil: black); `halo`: a white outline under the glyphs, so that
    /// a label stays legible over lines
    public mutating func text(_ text: String, x: Double, y: Double, size: Double, anchor: String? = nil, fill: String? = nil,
                              halo: Bool = false) {
        marks += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\""
            + (anchor.map { " text-anchor=\"\(XML.escape($0))\"" } ?? "") + (fill.map { " fill=\"\(XML.escape($0))\"" } ?? "")
            + (halo ? " stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"" : "") + ">\(XML.escape(text))</text>"
    }

    /// The <svg> element.
    public var svg: String {
        let w = Self.n(width), h = Self.n(height)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\">"
            + (title.map { "<title>\(XML.escape($0))</title>" } ?? "") + marks + "</svg>"
    }

    /// a coordinate: one decimal, or a whole number without one; never "nan" or "inf" (drawn at 0)
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(format: "%.1f", r)
    }
}
