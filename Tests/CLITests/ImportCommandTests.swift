// `bmru import`: an architecture file and a safetensors file give back the network; a missing tensor is
// refused naming it, with nothing written.
import BMRUModel
import Foundation
import TestSupport
import Testing

@Suite("bmru import")
struct ImportCommandTests {
    /// A safetensors file written by hand: little-endian u64 header length, JSON header, F64 data.
    static func safetensors(_ tensors: [(String, [Int], [Double])]) -> Data {
        var header: [String] = []
        var body = Data()
        for (name, shape, values) in tensors {
            let start = body.count
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            header.append("\"\(name)\":{\"dtype\":\"F64\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(start),\(body.count)]}")
        }
        let json = Data(("{" + header.joined(separator: ",") + "}").utf8)
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + body
    }

    @Test("import: tensors of the tiny network give back the tiny network; a missing tensor writes nothing")
    func importTensors() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-import")
        let arch = """
            {"format": "bmru-network", "version": 1, "name": "tiny", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 2,
             "layers": [{"name": "pre", "kind": "dense", "activation": "relu"}, {"name": "cell", "kind": "bmru"},
                        {"name": "out", "kind": "dense", "activation": "identity"}]}
            """
        try arch.write(toFile: dir + "/arch.json", atomically: true, encoding: .utf8)
        var tensors: [(String, [Int], [Double])] = [
            ("pre.weight", [2, 2], [1.0, -0.4, 0.3, 0.9]), ("pre.bias", [2], [0.1, 0.05]),
            ("cell.weight", [2, 2], [1.0, 0.2, 0.1, 1.0]), ("cell.bias", [2], [0, 0]),
            ("cell.theta_low", [2], [0.3, 0.35]), ("cell.theta_high", [2], [0.6, 0.7]), ("cell.level", [2], [1.0, 0.8]),
            ("cell.initial_state", [2], [0, 1]),
            ("out.weight", [2, 2], [1.0, -0.6, -0.5, 1.0]), ("out.bias", [2], [0.2, 0.1]),
        ]
        try Self.safetensors(tensors).write(to: URL(fileURLWithPath: dir + "/t.safetensors"))
        let r = try BMRU.run(["import", "--arch", dir + "/arch.json", "--tensors", dir + "/t.safetensors", "-o", dir + "/net.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let imported = try NetworkFile.load(path: dir + "/net.json")
        let shipped = try NetworkFile.load(path: TinyExample.network)
        #expect(imported.layers == shipped.layers)
        #expect(imported.inputs == 2 && imported.unitCurrent == 1e-9)

        // without cell.level: exit 2 naming the tensor, and no network file
        tensors.removeAll { $0.0 == "cell.level" }
        try Self.safetensors(tensors).write(to: URL(fileURLWithPath: dir + "/short.safetensors"))
        let e = try BMRU.run(["import", "--arch", dir + "/arch.json", "--tensors", dir + "/short.safetensors", "-o", dir + "/net2.json"])
        #expect(e.status == 2 && e.stderr.contains("cell.level"), "\(e.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/net2.json"))
    }
}
