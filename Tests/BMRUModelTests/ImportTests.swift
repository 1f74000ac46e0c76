// Import round trips: JSON -> tensors written here (own writers, byte by byte) -> import -> same network.

import Foundation
import Testing
import ZIPFoundation
@testable import BMRUModel

/// Little-endian bytes of the values as F32 or F64.
func tensorBytes(_ values: [Double], f32: Bool) -> [UInt8] {
    var out = [UInt8]()
    for v in values {
        let bits: UInt64 = f32 ? UInt64(Float(v).bitPattern) : v.bitPattern
        for j in 0..<(f32 ? 4 : 8) { out.append(UInt8((bits >> (8 * UInt64(j))) & 0xFF)) }
    }
    return out
}

/// A safetensors file: u64 LE header size, JSON header, then the data in order.
func makeSafetensors(_ tensors: [(String, [Int], [Double])], f32: Bool = false, dtypeOverride: [String: String] = [:]) -> Data {
    var header = [String]()
    var data = [UInt8]()
    for (name, shape, values) in tensors {
        let bytes = tensorBytes(values, f32: f32)
        let dtype = dtypeOverride[name] ?? (f32 ? "F32" : "F64")
        header.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],"
                      + "\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
        data += bytes
    }
    var h = Array(("{\"__metadata__\":{\"format\":\"pt\"}," + header.joined(separator: ",") + "}").utf8)
    while h.count % 8 != 0 { h.append(0x20) }  // padded with spaces, as writers do
    var out = [UInt8]()
    for j in 0..<8 { out.append(UInt8((UInt64(h.count) >> (8 * UInt64(j))) & 0xFF)) }
    return Data(out + h + data)
}

/// A version 1.0 .npy file.
func makeNpy(shape: [Int], values: [Double], descr: String = "<f8", fortran: Bool = false) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    out += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    out += Array(header.utf8)
    var v = values
    if fortran && shape.count == 2 {
        v = (0..<shape[1]).flatMap { c in (0..<shape[0]).map { r in values[r * shape[1] + c] } }
    }
    if descr == "<f4" { out += tensorBytes(v, f32: true) }
    else if descr == "<f8" { out += tensorBytes(v, f32: false) }
    else if descr == ">f8" { out += v.flatMap { x in (0..<8).reversed().map { UInt8((x.bitPattern >> (8 * UInt64($0))) & 0xFF) } } }
    else if descr == "|u1" || descr == "|b1" { out += v.map { UInt8($0) } }
    return Data(out)
}

func makeNpz(at url: URL, _ entries: [(String, Data)], method: CompressionMethod) throws {
    try? FileManager.default.removeItem(at: url)
    let archive = try Archive(url: url, accessMode: .create)
    for (name, data) in entries {
        try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(data.count), compressionMethod: method) { pos, size in
            data.subdata(in: Int(pos)..<Int(pos) + size)
        }
    }
}

func tempDir() throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("bmru-model-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

/// Tensors of a network under the import names, built here independently of NetworkImport.tensors.
func namedTensors(_ n: Network) -> [(String, [Int], [Double])] {
    var t = [(String, [Int], [Double])]()
    for l in n.layers {
        t.append(("\(l.name).weight", [l.weights.count, l.weights[0].count], l.weights.flatMap { $0 }))
        t.append(("\(l.name).bias", [l.bias.count], l.bias))
        if l.kind == .bmru {
            t.append(("\(l.name).theta_low", [l.outputs], l.thetaLow!))
            t.append(("\(l.name).theta_high", [l.outputs], l.thetaHigh!))
            t.append(("\(l.name).level", [l.outputs], l.level!))
            t.append(("\(l.name).initial_state", [l.outputs], l.initialState!.map(Double.init)))
        }
    }
    return t
}

func importNetwork(_ arch: Data, _ tensorsURL: URL) throws -> Network {
    let dir = tensorsURL.deletingLastPathComponent()
    let archURL = dir.appendingPathComponent("arch.json")
    try arch.write(to: archURL)
    return try NetworkImport.load(architecturePath: archURL.path, tensorsPath: tensorsURL.path)
}

@Suite struct ImportTests {
    let network: Network
    let arch: Data

    init() throws {
        var gen = NetworkGenerator(seed: 99)
        var n = gen.network()
        while n.layers.count < 3 || !n.layers.contains(where: { $0.kind == .bmru }) { n = gen.network() }
        // values that F64 keeps but F32 would not
        n.layers[0].bias[0] = 0.1
        n.metadataJSON = #"{"source": "test"}"#
        network = try NetworkFile.decode(NetworkFile.encode(n), file: "n")
        // the architecture text is written by hand here (no numeric arrays)
        let layers = network.layers.map { l -> String in
            var f = "{\"name\": \"\(l.name)\", \"kind\": \"\(l.kind.rawValue)\""
            if l.kind == .dense { f += ", \"activation\": \"\(l.activation.rawValue)\"" }
            if let r = l.residual { f += ", \"residual\": \"\(r)\"" }
            return f + "}"
        }
        arch = Data(("{\"format\": \"bmru-network\", \"version\": 1, \"name\": \"gen\", \"unit_current\": 1e-9, "
                     + "\"frame_period\": 0.01, \"inputs\": \(network.inputs), \"layers\": [\(layers.joined(separator: ", "))], "
                     + "\"metadata\": {\"source\": \"test\"}}").utf8)
    }

    @Test func safetensorsF64RoundTrip() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        try makeSafetensors(namedTensors(network)).write(to: url)
        #expect(try importNetwork(arch, url) == network)
    }

    @Test func safetensorsF32RoundTripOfF32ExactValues() throws {
        // the generator's values are dyadic, exact in F32 too; replace the 0.1 bias
        var n = network
        n.layers[0].bias[0] = 0.25
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        try makeSafetensors(namedTensors(n), f32: true).write(to: url)
        #expect(try importNetwork(arch, url) == n)
    }

    @Test func safetensorsF32ValuesAreWidenedFromFloat() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        try makeSafetensors(namedTensors(network), f32: true).write(to: url)
        let back = try importNetwork(arch, url)
        #expect(back.layers[0].bias[0] == Double(Float(0.1)))
        #expect(back.layers[0].bias[0] != 0.1)
    }

    @Test(arguments: [false, true])
    func npzRoundTrip(deflated: Bool) throws {
        let method: CompressionMethod = deflated ? .deflate : .none
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.npz")
        try makeNpz(at: url, namedTensors(network).map { ($0.0, makeNpy(shape: $0.1, values: $0.2)) }, method: method)
        #expect(try importNetwork(arch, url) == network)
    }

    @Test func npzFortranOrderBigEndianAndBoolStates() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.npz")
        let entries = namedTensors(network).map { name, shape, values -> (String, Data) in
            if name.hasSuffix(".weight") { return (name, makeNpy(shape: shape, values: values, fortran: true)) }
            if name.hasSuffix(".initial_state") { return (name, makeNpy(shape: shape, values: values, descr: "|b1")) }
            return (name, makeNpy(shape: shape, values: values, descr: ">f8"))
        }
        try makeNpz(at: url, entries, method: .deflate)
        #expect(try importNetwork(arch, url) == network)
    }

    @Test func missingInitialStateDefaultsToZeros() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        try makeSafetensors(namedTensors(network).filter { !$0.0.hasSuffix(".initial_state") }).write(to: url)
        let back = try importNetwork(arch, url)
        for l in back.layers where l.kind == .bmru { #expect(l.initialState == Array(repeating: 0, count: l.outputs)) }
    }

    func expectImportError(_ tensors: [(String, [Int], [Double])], dtypes: [String: String] = [:], field: String,
                           reason: String, archText: Data? = nil) throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("w.safetensors")
        try makeSafetensors(tensors, dtypeOverride: dtypes).write(to: url)
        do {
            _ = try importNetwork(archText ?? arch, url)
            Issue.record("accepted: expected \(field): \(reason)")
        } catch let e as FormatError {
            #expect(e.field == field, "\(e)")
            #expect(e.reason.contains(reason), "\(e)")
        }
    }

    @Test func shapeDtypeNameAndValueErrorsNameTheTensor() throws {
        let good = namedTensors(network)
        let first = network.layers[0].name
        let cell = network.layers.first { $0.kind == .bmru }!
        // wrong weight shape: one column too many (always a different shape), then transposed
        var t = good
        let wi = t.firstIndex { $0.0 == "\(first).weight" }!
        let (rows, columns) = (good[wi].1[0], good[wi].1[1])
        t[wi].1 = [rows, columns + 1]
        t[wi].2 = (0..<rows).flatMap { r in good[wi].2[(r * columns)..<((r + 1) * columns)] + [0] }
        try expectImportError(t, field: "\(first).weight", reason: "shape [\(rows), \(columns + 1)], expected [outputs, \(network.inputs)]")
        t = good
        t[wi].1 = [columns, rows]
        try #require(rows != columns, "precondition: the generated layer \(first) is square (\(rows) × \(columns)), so its transpose has the same shape; pick another generator seed")
        try expectImportError(t, field: "\(first).weight", reason: "shape [\(columns), \(rows)], expected [outputs, \(network.inputs)]")
        // missing tensor
        try expectImportError(good.filter { $0.0 != "\(cell.name).level" }, field: "\(cell.name).level", reason: "missing")
        // unused (typo) tensor
        try expectImportError(good + [("\(cell.name).theta_hi", [1], [0])], field: "\(cell.name).theta_hi", reason: "not used")
        // unsupported dtype
        try expectImportError(good, dtypes: ["\(first).bias": "F16"], field: "\(first).bias", reason: "F16")
        // a value rule: θ_low > θ_high, reported against the tensor name and index
        t = good
        let lo = t.firstIndex { $0.0 == "\(cell.name).theta_low" }!
        t[lo].2[0] = cell.thetaHigh![0] + 1
        try expectImportError(t, field: "\(cell.name).theta_low[0]", reason: "greater than θ_high")
        // non-finite
        t = good
        t[wi].2[0] = .nan
        try expectImportError(t, field: "\(first).weight[0][0]", reason: "finite")
    }

    @Test func architectureWithArraysIsRejected() throws {
        let text = try NetworkFile.encode(network)
        do {
            _ = try NetworkImport.architecture(text, file: "arch.json")
            Issue.record("accepted an architecture with arrays")
        } catch let e as FormatError {
            #expect(e.field == "layers[0].weights")
        }
    }

    @Test func exportHelpersRoundTrip() throws {
        let archBack = try NetworkImport.architecture(NetworkImport.architectureJSON(of: network), file: "a")
        var tensors = [String: Tensor]()
        for (name, t) in NetworkImport.tensors(of: network) { tensors[name] = t }
        #expect(try NetworkImport.build(architecture: archBack, architectureFile: "a", tensors: tensors, tensorsFile: "t") == network)
    }

    @Test func truncatedSafetensorsIsASyntaxError() throws {
        let data = makeSafetensors(namedTensors(network))
        do {
            _ = try TensorFile.safetensors(data.prefix(data.count - 3), file: "t.safetensors")
            Issue.record("accepted a truncated file")
        } catch let e as FormatError {
            #expect(e.kind == .syntax)
            #expect(e.reason.contains("data_offsets"))
        }
    }

    @Test func npyProblemsAreNamed() throws {
        let good = makeNpy(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(try TensorFile.npy(good, file: "f.npz", name: "a.weight").values == [1, 2, 3, 4, 5, 6])
        #expect(try TensorFile.npy(makeNpy(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], fortran: true), file: "f", name: "a").values
                == [1, 2, 3, 4, 5, 6])
        var halfHeader = [UInt8](makeNpy(shape: [2], values: [0, 0]))
        let at = (0..<halfHeader.count - 3).first { Array(halfHeader[$0..<$0 + 3]) == Array("<f8".utf8) }!
        halfHeader[at + 2] = UInt8(ascii: "2")  // float16, 4 bytes of data then do not fit either
        for (data, reason) in [(good.prefix(good.count - 8), "data bytes"), (Data("not numpy".utf8), "magic"),
                               (Data(halfHeader), "not supported")] {
            do {
                _ = try TensorFile.npy(Data(data), file: "f.npz", name: "a.weight")
                Issue.record("accepted: \(reason)")
            } catch let e as FormatError {
                #expect(e.file == "f.npz" && e.field == "a.weight")
                #expect(e.reason.contains(reason), "\(e)")
            } catch { Issue.record("\(error)") }
        }
    }
}
