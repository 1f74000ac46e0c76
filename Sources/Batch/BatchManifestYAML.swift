import BMRUModel
import Foundation
import Yams

extension BatchManifest {
    /// A YAML manifest as the JSON value (`JSONNode`) of the same structure: plain scalars by YAML's core schema (null,
    /// true/false, integers, floats, else strings), quoted scalars always strings; keys must be strings;
    /// anchors/aliases and duplicate keys are refused.
    static func yamlValue(_ data: Data, fail: (String, String) -> BatchError) throws -> JSONNode {
        guard let text = String(data: data, encoding: .utf8) else { throw fail("", "not valid YAML (not UTF-8 text)") }
        // before Yams sees anything: its composer expands aliases into copies, so a few hundred bytes of
        // nested aliases grow without limit, and it recurses once per nesting level
        if let problem = YAMLPrescan.problem(in: text) {
            throw fail("line \(problem.line), column \(problem.column)", problem.reason)
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw fail("", "not valid YAML (\(error))")
        }
        guard let root = node else { throw fail("", "the YAML manifest is empty") }
        func convert(_ n: Node, _ path: String, depth: Int) throws -> JSONNode {
            guard depth < 64 else { throw fail(path, "nested too deeply") }
            switch n {
            case let .scalar(s):
                if s.style != .plain { return .string(s.string) }
                if n.null != nil { return .null }
                if let b = n.bool { return .bool(b) }
                // an integer beyond 2^53 − 1 is rounded here and then refused as a manifest integer, as in JSON
                if let i = n.int { return .number(Double(i)) }
                if let d = n.float { return .number(d) }
                return .string(s.string)
            case let .sequence(seq):
                return .array(try seq.enumerated().map { try convert($0.element, "\(path)[\($0.offset)]", depth: depth + 1) })
            case let .mapping(map):
                var members: [(key: String, value: JSONNode)] = []
                for (k, v) in map {
                    guard case let .scalar(ks) = k else { throw fail(path, "keys must be plain strings") }
                    let field = path.isEmpty ? ks.string : path + "." + ks.string
                    members.append((ks.string, try convert(v, field, depth: depth + 1)))
                }
                do {
                    return try JSONNode.object(members: members)
                } catch let e as JSONNode.DuplicateKey {
                    throw fail(path.isEmpty ? e.key : path + "." + e.key, "duplicate key \"\(e.key)\"")
                }
            case .alias:
                throw fail(path, "YAML aliases are not supported")
            }
        }
        return try convert(root, "", depth: 0)
    }
}

/// A scan of YAML text for what a manifest may not use, without parsing it: anchors (`&a`) and aliases (`*a`)
/// outside quoted scalars and comments, flow nesting (`[`, `{`) deeper than `maxDepth`, block nesting
/// (indentation plus `- `/`? ` prefixes) beyond `maxColumn`, and more than `maxBytes`. Conservative: an
/// `&name`/`*name` token inside a block scalar is refused too (the message says how to write it: quoted).
enum YAMLPrescan {
    static let maxBytes = 1 << 20
    static let maxDepth = 64
    static let maxColumn = 128

    static func problem(in text: String) -> (line: Int, column: Int, reason: String)? {
        let u = Array(text.utf8)
        if u.count > maxBytes { return (1, 1, "YAML manifest is \(u.count) bytes, more than the limit of \(maxBytes)") }
        var line = 1, lineStart = 0, depth = 0, i = 0
        var quote: UInt8? = nil           // ' or " while inside a quoted scalar
        var atLineStart = true            // only indentation and `- ` / `? ` / `: ` indicators so far
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        func isFlowIndicator(_ b: UInt8) -> Bool { b == 0x2C || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D }
        while i < u.count {
            let b = u[i]
            let column = i - lineStart + 1
            if b == 0x0A { line += 1; lineStart = i + 1; atLineStart = true; i += 1; continue }
            if let q = quote {
                if q == 0x22 && b == 0x5C { i += 2; continue }                          // \x in "..."
                if b == q {
                    if q == 0x27 && i + 1 < u.count && u[i + 1] == 0x27 { i += 2; continue } // '' in '...'
                    quote = nil
                }
                i += 1; continue
            }
            let prev: UInt8 = i > lineStart ? u[i - 1] : 0x20
            let tokenStart = isSpace(prev) || isFlowIndicator(prev) || prev == 0x3A || prev == 0x2D || prev == 0x3F
            if atLineStart {
                if b == 0x20 || b == 0x09 { i += 1; continue }
                if (b == 0x2D || b == 0x3F || b == 0x3A) && (i + 1 == u.count || isSpace(u[i + 1])) { i += 1; continue }
                atLineStart = false
                if column > maxColumn {
                    return (line, column, "nested too deeply (content starts at column \(column), the limit is \(maxColumn))")
                }
            }
            switch b {
            case 0x23 where isSpace(prev) || i == lineStart:                                  // comment
                while i < u.count && u[i] != 0x0A { i += 1 }
                continue
            case 0x27 where tokenStart, 0x22 where tokenStart:
                quote = b
            case 0x5B, 0x7B:
                depth += 1
                if depth > maxDepth { return (line, column, "nested too deeply (more than \(maxDepth) levels of [ or {)") }
            case 0x5D, 0x7D:
                depth = max(0, depth - 1)
            case 0x26 where tokenStart && i + 1 < u.count && !isSpace(u[i + 1]) && !isFlowIndicator(u[i + 1]),
                 0x2A where tokenStart && i + 1 < u.count && !isSpace(u[i + 1]) && !isFlowIndicator(u[i + 1]):
                return (line, column, b == 0x26 ? "YAML anchors (&name) are not supported (write the value out; quote text that starts with &)"
                                                : "YAML aliases (*name) are not supported (write the value out; quote text that starts with *)")
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
