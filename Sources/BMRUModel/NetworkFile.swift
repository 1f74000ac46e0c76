// Reading, validating and writing `bmru-network` version 1 files (JSON). See README for the format.
// This file: the limits, the entry points and the writer; decoding is in NetworkDecoder.swift, the value
// rules in NetworkValidator.swift.

import Foundation

/// Limits that keep a hostile file from exhausting memory or time.
public enum NetworkLimits {
    /// largest network file accepted, bytes
    public static let maxFileBytes = 512 << 20
    public static let maxInputs = 4096
    public static let maxUnitsPerLayer = 4096
    public static let maxLayers = 256
    public static let maxParameters = 10_000_000
    /// at most this many problems are reported for one file
    public static let maxReportedProblems = 50
    /// Largest |value| of any weight, bias, threshold or level, model units. A format sanity bound, far
    /// beyond anything a circuit realises (Netlist's `OperatingRange` has the circuit's limits: 256 fingers
    /// per weight, 1 µA per current); it keeps every sum of up to `maxUnitsPerLayer` products finite and
    /// every count derived from a value (fingers, currents) far inside `Int`.
    public static let maxMagnitude = 1e6
}

/// The `bmru-network` v1 file format.
public enum NetworkFile {
    public static let formatName = "bmru-network"
    public static let version = 1

    /// Reads, decodes and validates a network file.
    public static func load(path: String) throws -> Network {
        try decode(readFile(path, limit: NetworkLimits.maxFileBytes), file: path)
    }

    /// Every problem of the file at `path` (empty when valid), with the network when it could be decoded.
    public static func problems(path: String) -> (network: Network?, problems: [FormatError]) {
        collectProblems(path: path, structure: decodeStructure, rules: validate)
    }

    /// Every problem of a file of either network format: its structure, then all its value rules.
    static func collectProblems<N>(path: String, structure: (Data, String) throws -> N,
                                   rules: (N, String) -> [FormatError]) -> (network: N?, problems: [FormatError]) {
        do {
            let n = try structure(readFile(path, limit: NetworkLimits.maxFileBytes), path)
            let p = rules(n, path)
            return (p.isEmpty ? n : nil, p)
        } catch let e as FormatError {
            return (nil, [e])
        } catch {
            return (nil, [FormatError(file: path, field: "", reason: "\(error)", kind: .io)])
        }
    }

    /// Decodes and validates; throws the first problem found.
    public static func decode(_ data: Data, file: String) throws -> Network {
        let network = try decodeStructure(data, file: file)
        if let first = validate(network, file: file).first { throw first }
        return network
    }

    /// Decodes without the value rules (shapes, ranges, names): JSON syntax, keys, types, format and
    /// version only. Use `validate` afterwards to get every remaining problem at once.
    public static func decodeStructure(_ data: Data, file: String) throws -> Network {
        let root = try parseJSON(data, file: file)
        return try NetworkDecoder(file: file, architectureOnly: false).network(root.node, bytes: root.bytes)
    }

    /// Every rule broken by `network` (empty when valid), at most `NetworkLimits.maxReportedProblems`.
    public static func validate(_ network: Network, file: String) -> [FormatError] {
        var v = NetworkValidator(file: file, fieldName: { layer, key, rest in (file, "layers[\(layer)].\(key)\(rest)") })
        v.check(network)
        return v.problems
    }

    /// Deterministic JSON text (UTF-8, two-space indentation, keys in a fixed order, one matrix row per
    /// line, numbers in Swift's shortest round-trip form). Throws if `metadataJSON` is not a JSON object.
    public static func encode(_ network: Network) throws -> Data {
        var o = "{\n"
        o += "  \"format\": \(JSONWriter.string(formatName)),\n"
        o += "  \"version\": \(version),\n"
        o += "  \"name\": \(JSONWriter.string(network.name)),\n"
        o += "  \"unit_current\": \(NumberText.json(network.unitCurrent)),\n"
        o += "  \"frame_period\": \(NumberText.json(network.framePeriod)),\n"
        o += "  \"inputs\": \(network.inputs),\n"
        o += "  \"layers\": ["
        for (k, layer) in network.layers.enumerated() {
            o += k == 0 ? "\n" : ",\n"
            o += encodeLayer(layer)
        }
        o += network.layers.isEmpty ? "]" : "\n  ]"
        if let meta = network.metadataJSON {
            let parsed: JSONNode
            do { parsed = try JSONReader.parse(Data(meta.utf8)).0 } catch {
                throw FormatError(file: network.name, field: "metadata", reason: "is not valid JSON", kind: .syntax)
            }
            guard case .object = parsed else {
                throw FormatError(file: network.name, field: "metadata", reason: "must be a JSON object", kind: .schema)
            }
            o += ",\n  \"metadata\": \(meta)"
        }
        o += "\n}\n"
        return Data(o.utf8)
    }

    private static func numberList(_ xs: [Double]) -> String {
        "[" + xs.map(NumberText.json).joined(separator: ", ") + "]"
    }

    private static func encodeLayer(_ l: Layer) -> String {
        var f = [String]()
        f.append("\"name\": \(JSONWriter.string(l.name))")
        f.append("\"kind\": \(JSONWriter.string(l.kind.rawValue))")
        if l.kind == .dense {
            f.append("\"activation\": \(JSONWriter.string(l.activation.rawValue))")
            if let r = l.residual { f.append("\"residual\": \(JSONWriter.string(r))") }
        }
        let rows = l.weights.map { "        " + numberList($0) }.joined(separator: ",\n")
        f.append(l.weights.isEmpty ? "\"weights\": []" : "\"weights\": [\n\(rows)\n      ]")
        f.append("\"bias\": \(numberList(l.bias))")
        if l.kind == .bmru {
            f.append("\"theta_low\": \(numberList(l.thetaLow ?? []))")
            f.append("\"theta_high\": \(numberList(l.thetaHigh ?? []))")
            f.append("\"level\": \(numberList(l.level ?? []))")
            let s = l.initialState ?? Array(repeating: 0, count: l.outputs)
            f.append("\"initial_state\": [" + s.map(String.init).joined(separator: ", ") + "]")
        }
        return "    {\n" + f.map { "      " + $0 }.joined(separator: ",\n") + "\n    }"
    }

    // MARK: - shared helpers

    static func readFile(_ path: String, limit: Int) throws -> Data {
        try InputFile.read(path, limit: limit)
    }

    static func parseJSON(_ data: Data, file: String) throws -> (node: JSONNode, bytes: [UInt8]) {
        do {
            let (node, bytes) = try JSONReader.parse(data)
            return (node, bytes)
        } catch let e as JSONSyntaxError {
            throw FormatError(file: file, field: "", reason: "invalid JSON at line \(e.line), column \(e.column): \(e.message)", kind: .syntax)
        }
    }
}
