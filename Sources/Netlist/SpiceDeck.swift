// A SPICE deck as typed cards, and the one writer that turns it into text.
//
// The emitter builds a `SpiceDeck`; benches and mismatch change its structure (replace an element, add a
// `.save`, add parameters to devices) and never edit text. `SpiceText.render` is the only place deck text is
// made: element lines longer than `SpiceText.width` are continued on `+` lines, comments are written as given.

import BMRUModel
import Foundation

/// `name=value` on an element, a subcircuit header, `.param`, `.options` or `.ic`.
public struct SpiceParameter: Sendable, Equatable {
    public var name: String
    /// the value as SPICE reads it: "4u", "{w}", "'1e-6*sqrt(2)'", "agauss(0,sig_m1,1)"
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

/// What follows the nodes of a source.
public enum SpiceSourceValue: Sendable, Equatable {
    /// a plain value: `vdd_bias vdd_bias 0 1.8`, a 0 V probe `vo_l_0 n_l_0 o_l_0 0`
    case constant(Double)
    /// `dc <value>`
    case dc(Double)
    /// `dc <first value> pwl(t0 v0 t1 v1 ...)`
    case piecewiseLinear(dc: Double, points: [PWLPoint])
    /// a current-controlled source (`f` element): the current through `through` times `gain`
    case currentControlled(through: String, gain: Double)
}

public struct PWLPoint: Sendable, Equatable {
    public var time: Double
    public var value: Double
    public init(_ time: Double, _ value: Double) { self.time = time; self.value = value }
}

/// One element line: a MOSFET (`m`), a subcircuit instance (`x`) or a source (`v`, `i`, `f`).
public struct SpiceElement: Sendable, Equatable {
    /// lower case; its first letter is the element kind
    public var name: String
    public var nodes: [String]
    /// the model (MOSFET) or subcircuit (instance) name; nil for sources
    public var model: String?
    /// sources only
    public var source: SpiceSourceValue?
    public var parameters: [SpiceParameter]

    public init(name: String, nodes: [String], model: String? = nil, source: SpiceSourceValue? = nil,
                parameters: [SpiceParameter] = []) {
        self.name = name; self.nodes = nodes; self.model = model; self.source = source; self.parameters = parameters
    }

    public static func instance(_ name: String, _ nodes: [String], _ subcircuit: String, _ parameters: [SpiceParameter] = []) -> SpiceElement {
        SpiceElement(name: name, nodes: nodes, model: subcircuit, parameters: parameters)
    }

    public static func source(_ name: String, _ nodes: [String], _ value: SpiceSourceValue) -> SpiceElement {
        SpiceElement(name: name, nodes: nodes, source: value)
    }

    public var isMOSFET: Bool { name.hasPrefix("m") }
    public var isInstance: Bool { name.hasPrefix("x") }

    /// The value of parameter `name`, if given.
    public func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
}

/// `.subckt name ports params` ... `.ends name`.
public struct SpiceSubcircuit: Sendable, Equatable {
    public var name: String
    public var ports: [String]
    /// parameters with their defaults
    public var parameters: [SpiceParameter]
    public var cards: [SpiceCard]
    public init(name: String, ports: [String], parameters: [SpiceParameter] = [], cards: [SpiceCard]) {
        self.name = name; self.ports = ports; self.parameters = parameters; self.cards = cards
    }

    /// The elements directly in this subcircuit.
    public var elements: [SpiceElement] {
        cards.compactMap { if case let .element(e) = $0 { return e } else { return nil } }
    }
}

public enum SpiceAnalysis: Sendable, Equatable {
    case transient(step: Double, stop: Double)
    case operatingPoint
    case dcSweep(source: String, start: Double, stop: Double, step: Double)
}

public indirect enum SpiceCard: Sendable, Equatable {
    /// `* text` (an empty text writes a lone `*`)
    case comment(String)
    case element(SpiceElement)
    case subcircuit(SpiceSubcircuit)
    /// `.include "path"`
    case include(String)
    /// `.lib "path" section`
    case library(path: String, section: String)
    /// `.param a=1 b=2`
    case parameters([SpiceParameter])
    /// `.options a=1 b=2` (`.option` in ngspice's spelling when `singular`)
    case options([SpiceParameter], singular: Bool)
    /// `.temp <°C>`
    case temperature(Double)
    /// `.ic v(node)=value ...`
    case initialConditions([SpiceParameter])
    /// `.save vector ...`
    case save([String])
    case analysis(SpiceAnalysis)
    /// the standalone block: `run`, `write <rawPath>`, `quit 0` — the only control block a deck of this tool has
    case control(rawPath: String)
    case end
}

/// A whole deck: its cards in order.
public struct SpiceDeck: Sendable, Equatable {
    public var cards: [SpiceCard]
    public init(cards: [SpiceCard] = []) { self.cards = cards }

    /// The deck as text (`SpiceText.render`).
    public var text: String { SpiceText.render(self) }

    /// Every subcircuit definition, by name (top level; this tool does not nest definitions).
    public var subcircuits: [String: SpiceSubcircuit] {
        var out: [String: SpiceSubcircuit] = [:]
        for c in cards { if case let .subcircuit(s) = c { out[s.name] = s } }
        return out
    }

    /// Every element of the deck, top level and inside subcircuit definitions, in order.
    public var allElements: [SpiceElement] {
        var out: [SpiceElement] = []
        func walk(_ cs: [SpiceCard]) {
            for c in cs {
                switch c {
                case let .element(e): out.append(e)
                case let .subcircuit(s): walk(s.cards)
                default: break
                }
            }
        }
        walk(cards)
        return out
    }

    /// Rewrites every element (top level and in subcircuits) with `f`.
    public mutating func mapElements(_ f: (SpiceElement) -> SpiceElement) {
        func walk(_ cs: [SpiceCard]) -> [SpiceCard] {
            cs.map { c in
                switch c {
                case let .element(e): return .element(f(e))
                case var .subcircuit(s): s.cards = walk(s.cards); return .subcircuit(s)
                default: return c
                }
            }
        }
        cards = walk(cards)
    }

    /// Rewrites every subcircuit definition with `f`.
    public mutating func mapSubcircuits(_ f: (SpiceSubcircuit) -> SpiceSubcircuit) {
        cards = cards.map { if case let .subcircuit(s) = $0 { return .subcircuit(f(s)) } else { return $0 } }
    }

    /// Replaces the top-level element `name` by `replacement`; throws when the deck has no such element.
    public mutating func replaceElement(_ name: String, with replacement: [SpiceCard]) throws {
        guard let k = cards.firstIndex(where: { if case let .element(e) = $0 { return e.name == name } else { return false } }) else {
            throw NetlistError(kind: .invalidOption, field: "deck", reason: "no top-level element '\(name)' to replace")
        }
        cards.replaceSubrange(k...k, with: replacement)
    }

    /// Inserts `card` just before the analysis card; throws when the deck has none.
    public mutating func insertBeforeAnalysis(_ card: SpiceCard) throws {
        guard let k = cards.firstIndex(where: { if case .analysis = $0 { return true } else { return false } }) else {
            throw NetlistError(kind: .invalidOption, field: "deck", reason: "the deck has no analysis card")
        }
        cards.insert(card, at: k)
    }

    /// Inserts `card` just before the first `.temp` card (at the end when there is none).
    public mutating func insertBeforeTemperature(_ card: SpiceCard) {
        let k = cards.firstIndex(where: { if case .temperature = $0 { return true } else { return false } }) ?? cards.count
        cards.insert(card, at: k)
    }
}

/// The one deck writer.
public enum SpiceText {
    /// Element and dot-card lines longer than this are continued on `+` lines (at spaces).
    public static let width = 100

    public static func render(_ deck: SpiceDeck) -> String {
        var out = ""
        write(deck.cards, into: &out)
        return out
    }

    /// The lines of `cards` (as `render` writes them), for callers that fingerprint a part of a deck.
    public static func lines(_ cards: [SpiceCard]) -> [String] {
        var out = ""
        write(cards, into: &out)
        return out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func write(_ cards: [SpiceCard], into out: inout String) {
        for c in cards { write(c, into: &out) }
    }

    static func write(_ card: SpiceCard, into out: inout String) {
        let n = NumberText.spice
        switch card {
        case let .comment(t):
            out += t.isEmpty ? "*\n" : "* " + t + "\n"
        case let .element(e):
            wrapped(element(e), into: &out)
        case let .subcircuit(s):
            wrapped([".subckt", s.name] + s.ports + s.parameters.map(pair), into: &out)
            write(s.cards, into: &out)
            out += ".ends \(s.name)\n"
        case let .include(p):
            out += ".include \"\(p)\"\n"
        case let .library(p, section):
            out += ".lib \"\(p)\" \(section)\n"
        case let .parameters(ps):
            wrapped([".param"] + ps.map(pair), into: &out)
        case let .options(ps, singular):
            wrapped([singular ? ".option" : ".options"] + ps.map(pair), into: &out)
        case let .temperature(t):
            out += ".temp \(n(t))\n"
        case let .initialConditions(ps):
            wrapped([".ic"] + ps.map(pair), into: &out)
        case let .save(vs):
            wrapped([".save"] + vs, into: &out)
        case let .analysis(a):
            switch a {
            case let .transient(step, stop): out += ".tran \(n(step)) \(n(stop))\n"
            case .operatingPoint: out += ".op\n"
            case let .dcSweep(src, a, b, st): out += ".dc \(src) \(n(a)) \(n(b)) \(n(st))\n"
            }
        case let .control(raw):
            out += ".control\nrun\nwrite \(raw)\n"
            out += "* without an explicit quit, ngspice -b leaves with status 1 after a control block\n"
            out += "quit 0\n.endc\n"
        case .end:
            out += ".end\n"
        }
    }

    static func pair(_ p: SpiceParameter) -> String { "\(p.name)=\(p.value)" }

    /// The tokens of an element line.
    static func element(_ e: SpiceElement) -> [String] {
        let n = NumberText.spice
        var t = [e.name] + e.nodes
        if let m = e.model { t.append(m) }
        switch e.source {
        case nil: break
        case let .constant(v)?: t.append(n(v))
        case let .dc(v)?: t += ["dc", n(v)]
        case let .piecewiseLinear(dc, points)?:
            t += ["dc", n(dc)]
            var pts: [String] = []
            for p in points { pts += [n(p.time), n(p.value)] }
            if pts.isEmpty { pts = ["0", n(dc)] }
            pts[0] = "pwl(" + pts[0]
            pts[pts.count - 1] += ")"
            t += pts
        case let .currentControlled(through, gain)?: t += [through, n(gain)]
        }
        return t + e.parameters.map(pair)
    }

    /// Tokens joined by spaces; past `width` a new `+` line starts (a token longer than a line stays whole).
    static func wrapped(_ tokens: [String], into out: inout String) {
        var line = "", count = 0
        for tok in tokens {
            count += 1
            if line.isEmpty { line = tok; continue }
            // never right after the card's first word: `.param name=<long expression>` stays one line
            if count > 2, line.utf8.count + 1 + tok.utf8.count > width {
                out += line + "\n"
                line = "+ " + tok
            } else {
                line += " " + tok
            }
        }
        out += line + "\n"
    }
}
