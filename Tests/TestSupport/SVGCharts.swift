import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The inline SVG charts of an HTML report page, each parsed as XML: for tests that check what a page draws.
public struct SVGCharts {
    public struct Chart {
        /// how many elements of each name (svg, line, circle, ...)
        public var elements: [String: Int]
        /// the character content of every <text> and <title>, unescaped
        public var texts: [String]
        /// the attributes of every element, in document order
        public var attributes: [(element: String, values: [String: String])]
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every `<svg …>…</svg>` of `html`, in order; throws `Malformed` for one that is not well-formed XML.
    public static func parse(html: String) throws -> [Chart] {
        var charts: [Chart] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            charts.append(try parse(svg: String(rest[start.lowerBound..<end.upperBound])))
            rest = rest[end.upperBound...]
        }
        return charts
    }

    /// One SVG element; throws `Malformed` (with the parser's reason) unless it is well-formed XML.
    public static func parse(svg: String) throws -> Chart {
        let collector = Collector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        guard parser.parse() else {
            throw Malformed(description: "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") in \(svg.prefix(300))")
        }
        return Chart(elements: collector.elements, texts: collector.texts, attributes: collector.attributes)
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var texts: [String] = []
        var attributes: [(element: String, values: [String: String])] = []
        private var inText = false
        private var current = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes attributeDict: [String: String] = [:]) {
            elements[name, default: 0] += 1
            attributes.append((name, attributeDict))
            if name == "text" || name == "title" { inText = true; current = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { current += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" || name == "title" { texts.append(current); inText = false }
        }
    }
}
