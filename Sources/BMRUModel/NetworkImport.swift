// Building a v1 network from an architecture file (a v1 file without numeric arrays) and tensors
// named `<layer>.weight`, `<layer>.bias`, `<layer>.theta_low`, `<layer>.theta_high`, `<layer>.level`,
// `<layer>.initial_state`.

import Foundation

public enum NetworkImport {
    /// tensor name suffix for each numeric JSON key
    public static let tensorSuffix = ["weights": "weight", "bias": "bias", "theta_low": "theta_low",
                                      "theta_high": "theta_high", "level": "level", "initial_state": "initial_state"]

    /// Reads an architecture file: a v1 network file whose layers have no numeric arrays.
    public static func architecture(_ data: Data, file: String) throws -> Network {
        let root = try NetworkFile.parseJSON(data, file: file)
        return try NetworkDecoder(file: file, architectureOnly: true).network(root.node, bytes: root.bytes)
    }

    /// Reads both files, builds and validates the network.
    public static func load(architecturePath: String, tensorsPath: String, allowUnused: Bool = false) throws -> Network {
        let arch = try architecture(NetworkFile.readFile(architecturePath, limit: NetworkLimits.maxFileBytes), file: architecturePath)
        let tensors = try TensorFile.load(path: tensorsPath)
        return try build(architecture: arch, architectureFile: architecturePath, tensors: tensors,
                         tensorsFile: tensorsPath, allowUnused: allowUnused)
    }

    /// Fills the architecture's layers from `tensors`, checking names, shapes and dtypes, then validates
    /// the result like a JSON file (problems in numbers are reported against the tensor file).
    public static func build(architecture: Network, architectureFile: String, tensors: [String: Tensor],
                             tensorsFile: String, allowUnused: Bool = false) throws -> Network {
        func fail(_ field: String, _ reason: String, _ kind: FormatError.Kind = .value) -> FormatError {
            FormatError(file: tensorsFile, field: field, reason: reason, kind: kind)
        }
        var used = Set<String>()
        func take(_ name: String, required: Bool) throws -> Tensor? {
            guard let t = tensors[name] else {
                if required { throw fail(name, "missing tensor", .schema) }
                return nil
            }
            used.insert(name)
            return t
        }
        func vector(_ layer: String, _ suffix: String, _ count: Int, required: Bool = true, anyType: Bool = false) throws -> [Double]? {
            let name = "\(layer).\(suffix)"
            guard let t = try take(name, required: required) else { return nil }
            if !anyType && !t.isFloat { throw fail(name, "dtype \(t.dtype), expected F32 or F64") }
            guard t.shape == [count] else { throw fail(name, "shape \(t.shape), expected [\(count)] (one per unit)") }
            return t.values
        }
        // arch-level problems first (names, residuals) are found by validation below; shapes here
        var net = architecture
        var width = architecture.inputs
        for (k, arch) in architecture.layers.enumerated() {
            var l = arch
            let name = "\(arch.name).weight"
            let w = try take(name, required: true)!
            if !w.isFloat { throw fail(name, "dtype \(w.dtype), expected F32 or F64") }
            guard w.shape.count == 2 else { throw fail(name, "shape \(w.shape), expected 2 dimensions [outputs, inputs]") }
            let (m, n) = (w.shape[0], w.shape[1])
            guard n == width else {
                let source = k == 0 ? "the network's \(width) inputs" : "the \(width) outputs of layer \"\(architecture.layers[k - 1].name)\""
                throw fail(name, "shape \(w.shape), expected [outputs, \(width)] (\(source))")
            }
            guard m >= 1, m <= NetworkLimits.maxUnitsPerLayer else {
                throw fail(name, "shape \(w.shape): \(m) units, must be 1...\(NetworkLimits.maxUnitsPerLayer)", m < 1 ? .value : .limit)
            }
            l.weights = (0..<m).map { r in Array(w.values[r * n..<(r + 1) * n]) }
            l.bias = try vector(arch.name, "bias", m)!
            if arch.kind == .bmru {
                l.thetaLow = try vector(arch.name, "theta_low", m)
                l.thetaHigh = try vector(arch.name, "theta_high", m)
                l.level = try vector(arch.name, "level", m)
                if let s = try vector(arch.name, "initial_state", m, required: false, anyType: true) {
                    l.initialState = try s.enumerated().map { i, x in
                        guard x == 0 || x == 1 else { throw fail("\(arch.name).initial_state[\(i)]", "is \(x), must be 0 or 1") }
                        return Int(x)
                    }
                } else {
                    l.initialState = Array(repeating: 0, count: m)
                }
            }
            net.layers[k] = l
            width = m
        }
        let unused = tensors.keys.filter { !used.contains($0) }.sorted()
        if !unused.isEmpty && !allowUnused {
            throw fail(unused[0], "tensor is not used by any layer" + (unused.count > 1 ? " (unused: \(unused.joined(separator: ", ")))" : "")
                       + "; names must be <layer>.weight/.bias/.theta_low/.theta_high/.level/.initial_state", .schema)
        }
        let layerNames = architecture.layers.map(\.name)
        var v = NetworkValidator(file: architectureFile, fieldName: { k, key, rest in
            if let suffix = tensorSuffix[key] { return (tensorsFile, "\(layerNames[k]).\(suffix)\(rest)") }
            return (architectureFile, "layers[\(k)].\(key)\(rest)")
        })
        v.check(net)
        if let first = v.problems.first { throw first }
        return net
    }

    /// The tensors of a network under the import names (weights as [outputs, inputs]), for exporting.
    public static func tensors(of network: Network) -> [(name: String, tensor: Tensor)] {
        var out = [(name: String, tensor: Tensor)]()
        for l in network.layers {
            out.append(("\(l.name).weight", Tensor(shape: [l.outputs, l.inputs], values: l.weights.flatMap { $0 }, dtype: "F64")))
            out.append(("\(l.name).bias", Tensor(shape: [l.outputs], values: l.bias, dtype: "F64")))
            if l.kind == .bmru {
                out.append(("\(l.name).theta_low", Tensor(shape: [l.outputs], values: l.thetaLow ?? [], dtype: "F64")))
                out.append(("\(l.name).theta_high", Tensor(shape: [l.outputs], values: l.thetaHigh ?? [], dtype: "F64")))
                out.append(("\(l.name).level", Tensor(shape: [l.outputs], values: l.level ?? [], dtype: "F64")))
                out.append(("\(l.name).initial_state", Tensor(shape: [l.outputs], values: (l.initialState ?? []).map(Double.init), dtype: "F64")))
            }
        }
        return out
    }

    /// Strips the numeric arrays: the architecture file for `network`.
    public static func architectureJSON(of network: Network) -> Data {
        var o = "{\n  \"format\": \"bmru-network\",\n  \"version\": 1,\n"
        o += "  \"name\": \(JSONWriter.string(network.name)),\n"
        o += "  \"unit_current\": \(NumberText.json(network.unitCurrent)),\n"
        o += "  \"frame_period\": \(NumberText.json(network.framePeriod)),\n"
        o += "  \"inputs\": \(network.inputs),\n  \"layers\": [\n"
        o += network.layers.map { l in
            var f = ["\"name\": \(JSONWriter.string(l.name))", "\"kind\": \"\(l.kind.rawValue)\""]
            if l.kind == .dense {
                f.append("\"activation\": \"\(l.activation.rawValue)\"")
                if let r = l.residual { f.append("\"residual\": \(JSONWriter.string(r))") }
            }
            return "    {" + f.joined(separator: ", ") + "}"
        }.joined(separator: ",\n")
        o += "\n  ]"
        if let m = network.metadataJSON { o += ",\n  \"metadata\": \(m)" }
        o += "\n}\n"
        return Data(o.utf8)
    }
}
