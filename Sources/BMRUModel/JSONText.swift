// A small strict JSON reader/writer used for network files and safetensors headers.
// Own parser (rather than JSONSerialization) so that: duplicate keys are errors, key order and the raw
// text of `metadata` are kept, nesting depth is bounded, and errors carry line/column.

import Foundation

/// A parsed JSON value. Arrays consisting only of numbers are stored packed. The one JSON value type of the
/// package: network files, safetensors headers and batch manifests (YAML ones converted to it); accessors in
/// JSONNodeAccess.swift.
public enum JSONNode {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case numbers([Double])
    case array([JSONNode])
    /// members in file order, each with the byte range of its value's text
    case object([(key: String, value: JSONNode, range: Range<Int>)])

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .numbers, .array: return "an array"
        case .object: return "an object"
        }
    }
}

struct JSONSyntaxError: Error {
    var line: Int
    var column: Int
    var message: String
}

struct JSONReader {
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var pos = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    /// The whole document as one value.
    static func parse(_ data: Data) throws -> (JSONNode, [UInt8]) {
        var reader = JSONReader(data)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.pos < reader.bytes.count { throw reader.error("unexpected text after the JSON value") }
        return (value, reader.bytes)
    }

    private func error(_ message: String, at position: Int? = nil) -> JSONSyntaxError {
        let p = min(position ?? pos, bytes.count)
        var line = 1, col = 1
        for b in bytes[0..<p] { if b == 0x0A { line += 1; col = 1 } else { col += 1 } }
        return JSONSyntaxError(line: line, column: col, message: message)
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONNode {
        guard pos < bytes.count else { throw error("unexpected end of file") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(printable(bytes[pos]))'")
        }
    }

    private func printable(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? String(UnicodeScalar(b)) : String(format: "\\x%02X", b)
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw error("invalid literal (expected '\(word)')")
        }
        pos += w.count
    }

    private mutating func parseNumber() throws -> Double {
        let start = pos
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 { pos += 1 }
            return pos - s
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count else { throw error("invalid number", at: start) }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 {
                throw error("invalid number (leading zero)", at: start)
            }
        } else if digits() == 0 { throw error("invalid number", at: start) }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            if digits() == 0 { throw error("invalid number (no digits after '.')", at: start) }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits() == 0 { throw error("invalid number (no exponent digits)", at: start) }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard let value = Double(text) else { throw error("invalid number", at: start) }
        return value  // may be ±inf for huge exponents; validation reports non-finite numbers
    }

    private mutating func parseString() throws -> String {
        let start = pos
        pos += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard pos < bytes.count else { throw error("unterminated string", at: start) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { throw error("unterminated string", at: start) }
            let e = bytes[pos]; pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired surrogate in \\u escape") }
                    pos += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error("unpaired surrogate in \\u escape")
                }
                out.append(contentsOf: Array(String(Character(UnicodeScalar(code)!)).utf8))
            default: throw error("invalid escape '\\\(printable(e))'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: start)
        }
        return s
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]; pos += 1
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v * 16 + d
        }
        return v
    }

    private mutating func parseArray(depth: Int) throws -> JSONNode {
        if depth > JSONReader.maxDepth { throw error("nesting deeper than \(JSONReader.maxDepth) levels") }
        pos += 1
        skipWhitespace()
        var numbers = [Double]()
        var items = [JSONNode]()
        var allNumbers = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .numbers([]) }
        while true {
            skipWhitespace()
            let v = try parseValue(depth: depth)
            if allNumbers, case .number(let d) = v {
                numbers.append(d)
            } else {
                if allNumbers { items = numbers.map { JSONNode.number($0) }; allNumbers = false; numbers = [] }
                items.append(v)
            }
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw error("expected ',' or ']' in array")
        }
        return allNumbers ? .numbers(numbers) : .array(items)
    }

    private mutating func parseObject(depth: Int) throws -> JSONNode {
        if depth > JSONReader.maxDepth { throw error("nesting deeper than \(JSONReader.maxDepth) levels") }
        pos += 1
        var members = [(key: String, value: JSONNode, range: Range<Int>)]()
        var seen = Set<String>()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object([]) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a key string") }
            let keyPos = pos
            let key = try parseString()
            if !seen.insert(key).inserted { throw error("duplicate key \"\(key)\"", at: keyPos) }
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
            pos += 1
            skipWhitespace()
            let start = pos
            let v = try parseValue(depth: depth)
            members.append((key, v, start..<pos))
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw error("expected ',' or '}' in object")
        }
        return .object(members)
    }
}

/// Deterministic JSON text output (shared by the network encoder and the deck mapping writer).
public enum JSONWriter {
    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

/// A JSON text that is not strict JSON: where and why.
public struct StrictJSONError: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// The strict reader of network files, for other JSON inputs (batch manifests): one value, no duplicate keys,
/// bounded nesting.
public enum StrictJSON {
    /// Throws `StrictJSONError` (with line and column) unless `data` is one strict JSON value.
    public static func check(_ data: Data) throws {
        _ = try JSONNode.parse(data)
    }
}

/// Reports and job records as JSON: one encoder and decoder configuration (sorted keys, pretty, and
/// non-finite numbers as the strings "inf", "-inf", "nan"), so every report file is deterministic.
public enum ReportJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try dec.decode(type, from: data)
    }
}
