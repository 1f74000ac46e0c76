import Foundation

// Reading a `JSONNode` from outside this module (batch manifests): parsing with line/column errors, and the
// typed accessors a key-by-key check needs. The caller names the file and the field in its own errors.

extension JSONNode {
    /// Parses one strict JSON value: no duplicate keys, nesting bounded, nothing after the value.
    /// Throws `StrictJSONError` (line, column, reason).
    public static func parse(_ data: Data) throws -> JSONNode {
        do {
            return try JSONReader.parse(data).0
        } catch let e as JSONSyntaxError {
            throw StrictJSONError(line: e.line, column: e.column, message: e.message)
        }
    }

    /// An object built from another format (YAML): the members in order, without source ranges. Throws
    /// `DuplicateKey` when a key repeats (as the JSON reader does: an object never holds one key twice).
    public static func object(members: [(key: String, value: JSONNode)]) throws(DuplicateKey) -> JSONNode {
        var seen = Set<String>()
        for m in members where !seen.insert(m.key).inserted { throw DuplicateKey(key: m.key) }
        return .object(members.map { ($0.key, $0.value, 0..<0) })
    }

    /// A key that an object would hold twice.
    public struct DuplicateKey: Error, Sendable {
        public var key: String
    }

    /// the members of an object by key
    public var fields: [String: JSONNode]? {
        guard case let .object(members) = self else { return nil }
        var out: [String: JSONNode] = [:]
        for m in members { out[m.key] = m.value }
        return out
    }

    /// the items of an array (also one stored packed, of numbers only)
    public var elements: [JSONNode]? {
        switch self {
        case let .array(items): return items
        case let .numbers(values): return values.map { .number($0) }
        default: return nil
        }
    }

    public var number: Double? {
        if case let .number(d) = self { return d }
        return nil
    }

    /// the largest integer every number of a JSON value holds exactly (2^53 − 1)
    public static let maxExactInteger = 9_007_199_254_740_991.0

    /// a whole number within ±(2^53 − 1): exactly the integer written (a longer one would have been rounded)
    public var integer: Int64? {
        guard let d = number, d.rounded() == d, abs(d) <= Self.maxExactInteger else { return nil }
        return Int64(d)
    }
}
