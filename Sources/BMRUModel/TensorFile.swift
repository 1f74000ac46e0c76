// Reading tensors saved by training code: `.safetensors` and NumPy `.npz` (a zip of `.npy` files).

import Foundation
import ZIPFoundation

/// One tensor, values converted to Double in C (row-major) order.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Double]
    /// the stored element type, e.g. "F32" / "F64" (safetensors names; npy types are mapped to these)
    public var dtype: String

    public init(shape: [Int], values: [Double], dtype: String) {
        self.shape = shape; self.values = values; self.dtype = dtype
    }

    public var isFloat: Bool { dtype == "F32" || dtype == "F64" }
}

public enum TensorFile {
    public static let maxFileBytes = 1 << 30
    public static let maxTensors = 4096
    static let maxElements = NetworkLimits.maxParameters

    /// Loads by file name extension: `.safetensors` or `.npz`.
    public static func load(path: String) throws -> [String: Tensor] {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") {
            return try safetensors(NetworkFile.readFile(path, limit: maxFileBytes), file: path)
        }
        if lower.hasSuffix(".npz") {
            _ = try NetworkFile.readFile(path, limit: maxFileBytes)  // existence, size limit
            return try npz(path: path)
        }
        throw FormatError(file: path, field: "", reason: "unknown tensor file type (expected .safetensors or .npz)", kind: .syntax)
    }

    static let safetensorsTypes: [String: Int] = ["F64": 8, "F32": 4, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    /// Parses safetensors bytes: u64 little-endian header length, JSON header, data.
    public static func safetensors(_ data: Data, file: String) throws -> [String: Tensor] {
        func fail(_ field: String, _ reason: String, _ kind: FormatError.Kind = .syntax) -> FormatError {
            FormatError(file: file, field: field, reason: reason, kind: kind)
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("", "too short for a safetensors file (no header length)") }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(bytes[i]) }
        guard n <= UInt64(bytes.count - 8), n <= 100_000_000 else {
            throw fail("", "header length \(n) does not fit the file of \(bytes.count) bytes")
        }
        let headerEnd = 8 + Int(n)
        let root: JSONNode
        do { root = try JSONReader.parse(Data(bytes[8..<headerEnd])).0 } catch let e as JSONSyntaxError {
            throw fail("", "invalid JSON header at column \(e.column): \(e.message)")
        }
        guard case .object(let entries) = root else { throw fail("", "header is not a JSON object") }
        if entries.count > maxTensors + 1 { throw fail("", "more than \(maxTensors) tensors", .limit) }
        let dataCount = bytes.count - headerEnd
        var out = [String: Tensor]()
        var total = 0
        for entry in entries where entry.key != "__metadata__" {
            let name = entry.key
            guard case .object(let fields) = entry.value else { throw fail(name, "header entry is not an object") }
            var dtype: String?, shape: [Double]?, offsets: [Double]?
            for f in fields {
                switch (f.key, f.value) {
                case ("dtype", .string(let s)): dtype = s
                case ("shape", .numbers(let xs)): shape = xs
                case ("data_offsets", .numbers(let xs)): offsets = xs
                default: throw fail(name, "unexpected header field \"\(f.key)\" (\(f.value.typeName))")
                }
            }
            guard let dtype, let shape, let offsets else { throw fail(name, "header entry needs dtype, shape and data_offsets") }
            guard let size = safetensorsTypes[dtype] else {
                throw fail(name, "dtype \(dtype) is not supported (use F32 or F64)", .value)
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 <= Double(maxElements) }) else {
                throw fail(name, "invalid shape \(shape)")
            }
            let dims = shape.map { Int($0) }
            let count = dims.reduce(1) { a, b in a > maxElements ? a : a * b }
            total += count
            if count > maxElements || total > maxElements {
                throw fail(name, "more than \(maxElements) elements", .limit)
            }
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] == offsets[0].rounded(), offsets[1] == offsets[1].rounded(),
                  offsets[0] <= offsets[1], offsets[1] <= Double(dataCount) else {
                throw fail(name, "data_offsets \(offsets) outside the \(dataCount) data bytes")
            }
            let begin = headerEnd + Int(offsets[0]), end = headerEnd + Int(offsets[1])
            guard end - begin == count * size else {
                throw fail(name, "data_offsets span \(end - begin) bytes, shape \(dims) of \(dtype) needs \(count * size)")
            }
            let values = decodeElements(bytes, from: begin, count: count, type: dtype, bigEndian: false)
            out[name] = Tensor(shape: dims, values: values, dtype: dtype)
        }
        return out
    }

    /// Little/big-endian element decoding for the safetensors type names.
    static func decodeElements(_ b: [UInt8], from start: Int, count: Int, type: String, bigEndian: Bool) -> [Double] {
        let size = safetensorsTypes[type]!
        var out = [Double](repeating: 0, count: count)
        b.withUnsafeBufferPointer { p in
            for k in 0..<count {
                var bits: UInt64 = 0
                let o = start + k * size
                if bigEndian {
                    for j in 0..<size { bits = bits << 8 | UInt64(p[o + j]) }
                } else {
                    for j in (0..<size).reversed() { bits = bits << 8 | UInt64(p[o + j]) }
                }
                switch type {
                case "F64": out[k] = Double(bitPattern: bits)
                case "F32": out[k] = Double(Float(bitPattern: UInt32(bits)))
                case "I64": out[k] = Double(Int64(bitPattern: bits))
                case "I32": out[k] = Double(Int32(bitPattern: UInt32(bits)))
                case "I16": out[k] = Double(Int16(bitPattern: UInt16(bits)))
                case "I8": out[k] = Double(Int8(bitPattern: UInt8(bits)))
                default: out[k] = Double(bits)  // U8, BOOL
                }
            }
        }
        return out
    }

    /// Reads every `<name>.npy` entry of a NumPy `.npz` archive (stored or deflated).
    public static func npz(path: String) throws -> [String: Tensor] {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw FormatError(file: path, field: "", reason: "not a readable zip (npz) archive", kind: .syntax)
        }
        var out = [String: Tensor]()
        var total = 0
        for entry in archive {
            guard entry.type == .file else { continue }
            let entryName = entry.path
            guard entryName.hasSuffix(".npy") else {
                throw FormatError(file: path, field: entryName, reason: "npz entry is not a .npy file", kind: .syntax)
            }
            let name = String(entryName.dropLast(4))
            if out[name] != nil { throw FormatError(file: path, field: name, reason: "appears twice in the archive", kind: .syntax) }
            if out.count >= maxTensors { throw FormatError(file: path, field: name, reason: "more than \(maxTensors) tensors", kind: .limit) }
            guard entry.uncompressedSize <= UInt64(maxElements * 8 + 65536) else {
                throw FormatError(file: path, field: name, reason: "entry is \(entry.uncompressedSize) bytes, more than the limit", kind: .limit)
            }
            var data = Data()
            do {
                _ = try archive.extract(entry, consumer: { chunk in
                    data.append(chunk)
                    if data.count > maxElements * 8 + 65536 { throw FormatError(file: path, field: name, reason: "entry too large", kind: .limit) }
                })
            } catch let e as FormatError { throw e } catch {
                throw FormatError(file: path, field: name, reason: "cannot extract from the archive: \(error)", kind: .syntax)
            }
            let t = try npy(data, file: path, name: name)
            total += t.values.count
            if total > maxElements { throw FormatError(file: path, field: name, reason: "more than \(maxElements) elements in all", kind: .limit) }
            out[name] = t
        }
        return out
    }

    /// Parses one `.npy` file (format versions 1, 2, 3).
    public static func npy(_ data: Data, file: String, name: String) throws -> Tensor {
        func fail(_ reason: String, _ kind: FormatError.Kind = .syntax) -> FormatError {
            FormatError(file: file, field: name, reason: reason, kind: kind)
        }
        let b = [UInt8](data)
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw fail("not a .npy array (bad magic)") }
        let major = b[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; headerStart = 10
        case 2, 3:
            guard b.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; headerStart = 12
        default: throw fail(".npy format version \(major) is not supported")
        }
        guard headerLength <= 1 << 20, headerStart + headerLength <= b.count else { throw fail("truncated .npy header") }
        let header = String(decoding: b[headerStart..<headerStart + headerLength], as: UTF8.self)
        let (descr, fortran, shape) = try parseNpyHeader(header, fail: fail)
        // descr like "<f8", "|u1", "|b1"
        guard descr.count == 3, let order = descr.first else { throw fail("dtype '\(descr)' is not supported (use float32 or float64)", .value) }
        let code = String(descr.dropFirst())
        let map: [String: String] = ["f8": "F64", "f4": "F32", "i8": "I64", "i4": "I32", "i2": "I16", "i1": "I8", "u1": "U8", "b1": "BOOL"]
        guard let type = map[code], "<>|=".contains(order) else {
            throw fail("dtype '\(descr)' is not supported (use float32 or float64)", .value)
        }
        var count = 1
        for d in shape {
            guard d >= 0, d <= maxElements else { throw fail("invalid shape \(shape)") }
            count *= d
            if count > maxElements { throw fail("more than \(maxElements) elements", .limit) }
        }
        let size = safetensorsTypes[type]!
        let start = headerStart + headerLength
        guard b.count - start == count * size else {
            throw fail("has \(b.count - start) data bytes, shape \(shape) of '\(descr)' needs \(count * size)")
        }
        var values = decodeElements(b, from: start, count: count, type: type, bigEndian: order == ">")
        if fortran && shape.count > 1 {
            // column-major -> row-major
            var strides = [Int](repeating: 1, count: shape.count)
            for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
            var rowMajor = [Double](repeating: 0, count: count)
            var index = [Int](repeating: 0, count: shape.count)
            for k in 0..<count {
                var src = 0
                for d in 0..<shape.count { src += index[d] * strides[d] }
                rowMajor[k] = values[src]
                var d = shape.count - 1
                while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
            }
            values = rowMajor
        }
        return Tensor(shape: shape, values: values, dtype: type)
    }

    /// Parses the Python dict literal of a .npy header: {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
    static func parseNpyHeader(_ h: String, fail: (String, FormatError.Kind) -> FormatError) throws -> (String, Bool, [Int]) {
        func value(of key: String) -> Substring? {
            guard let r = h.range(of: "'\(key)':") else { return nil }
            return h[r.upperBound...].drop(while: { $0 == " " })
        }
        guard let d = value(of: "descr"), d.first == "'", let close = d.dropFirst().firstIndex(of: "'") else {
            throw fail(".npy header has no 'descr' (structured dtypes are not supported)", .syntax)
        }
        let descr = String(d[d.index(after: d.startIndex)..<close])
        guard let f = value(of: "fortran_order") else { throw fail(".npy header has no 'fortran_order'", .syntax) }
        let fortran: Bool
        if f.hasPrefix("True") { fortran = true } else if f.hasPrefix("False") { fortran = false } else {
            throw fail(".npy header 'fortran_order' is not True/False", .syntax)
        }
        guard let s = value(of: "shape"), s.first == "(", let end = s.firstIndex(of: ")") else {
            throw fail(".npy header has no 'shape' tuple", .syntax)
        }
        let inner = s[s.index(after: s.startIndex)..<end]
        var shape = [Int]()
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if t.isEmpty { continue }
            guard let v = Int(t) else { throw fail(".npy header shape '\(inner)' is not a tuple of integers", .syntax) }
            shape.append(v)
        }
        return (descr, fortran, shape)
    }
}
