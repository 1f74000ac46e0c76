// The `crossbar-rnn-network` v1 file: a recurrent network for resistive crossbars whose activations are ramp
// ADCs (RampADC.swift). Signed weights, signed inputs; every layer's pre-activation is one crossbar column per
// unit, converted by the layer's ramp ADC. The format, its decoding, its value rules and its writer.
//
//   {"format": "crossbar-rnn-network", "version": 1, "name": "...", "inputs": 13, "frame_period": 0.01,
//    "input_range": [-4, 4], "conductance_range": [1e-6, 1e-4], "conductance_levels": 64,
//    "layers": [{"name": "rnn", "kind": "crossbar_rnn", "weights": [[..]], "recurrent_weights": [[..]],
//                "bias": [..], "activation": "tanh", "adc_bits": 5, "adc_range": [-3, 3]},
//               {"name": "out", "kind": "crossbar_dense", "weights": [[..]], "bias": [..],
//                "activation": "identity", "adc_bits": 5, "adc_range": [-8, 8]}],
//    "metadata": {...}}
//
// crossbar_rnn:   h_t = ADC_f(W·x_t + U·h_{t−1} + b), h_0 = initial_state (zeros by default)
// crossbar_dense: y_t = ADC_f(W·x_t + b)
// `activation` is a name (tanh, sigmoid, relu, identity) or a table {"x": [...], "y": [...]}.

import Foundation

public enum CrossbarLayerKind: String, Sendable, Equatable {
    case rnn = "crossbar_rnn"
    case dense = "crossbar_dense"
}

/// One layer of a crossbar network.
public struct CrossbarLayer: Sendable, Equatable {
    public var name: String
    public var kind: CrossbarLayerKind
    /// rows = units, columns = inputs of the layer
    public var weights: [[Double]]
    /// rnn only: units × units
    public var recurrentWeights: [[Double]]?
    public var bias: [Double]
    public var activation: ActivationFunction
    public var adcBits: Int
    /// the pre-activation range the ramp spans
    public var adcRange: ClosedRange<Double>
    /// rnn only: h_0 (zeros when absent)
    public var initialState: [Double]?

    public var units: Int { weights.count }
    public var inputs: Int { weights.first?.count ?? 0 }

    public init(name: String, kind: CrossbarLayerKind, weights: [[Double]], recurrentWeights: [[Double]]? = nil,
                bias: [Double], activation: ActivationFunction, adcBits: Int, adcRange: ClosedRange<Double>,
                initialState: [Double]? = nil) {
        self.name = name; self.kind = kind; self.weights = weights; self.recurrentWeights = recurrentWeights
        self.bias = bias; self.activation = activation; self.adcBits = adcBits; self.adcRange = adcRange
        self.initialState = initialState
    }

    /// The layer's ramp ADC (valid layers only: the validator has checked that it can be built).
    public var adc: RampADC {
        // swiftlint:disable:next force_try
        try! RampADC(function: activation, bits: adcBits, inputRange: adcRange)
    }
}

/// A whole crossbar network.
public struct CrossbarNetwork: Sendable, Equatable {
    public var name: String
    public var inputs: Int
    /// seconds per frame (one time step of the RNN)
    public var framePeriod: Double
    /// the range the inputs are expected in; rows are driven with read_voltage · x / max(|low|, |high|)
    public var inputRange: ClosedRange<Double>
    /// memristor conductances, siemens (g_min ... g_max)
    public var conductanceRange: ClosedRange<Double>
    /// programmable levels between g_min and g_max; nil: continuous
    public var conductanceLevels: Int?
    public var layers: [CrossbarLayer]
    public var metadataJSON: String?

    public init(name: String, inputs: Int, framePeriod: Double, inputRange: ClosedRange<Double>,
                conductanceRange: ClosedRange<Double>, conductanceLevels: Int? = nil, layers: [CrossbarLayer],
                metadataJSON: String? = nil) {
        self.name = name; self.inputs = inputs; self.framePeriod = framePeriod; self.inputRange = inputRange
        self.conductanceRange = conductanceRange; self.conductanceLevels = conductanceLevels
        self.layers = layers; self.metadataJSON = metadataJSON
    }

    public var parameterCount: Int {
        layers.reduce(0) { n, l in
            n + l.weights.reduce(0) { $0 + $1.count } + (l.recurrentWeights?.reduce(0) { $0 + $1.count } ?? 0) + l.bias.count
        }
    }
}

/// Reading, validating and writing `crossbar-rnn-network` v1 files.
public enum CrossbarNetworkFile {
    public static let formatName = "crossbar-rnn-network"
    public static let version = 1
    public static let maxConductanceLevels = 65_536

    static let topKeys = ["format", "version", "name", "inputs", "frame_period", "input_range", "conductance_range",
                          "conductance_levels", "layers", "metadata"]
    static let rnnKeys = ["name", "kind", "weights", "recurrent_weights", "bias", "activation", "adc_bits", "adc_range",
                          "initial_state"]
    static let denseKeys = ["name", "kind", "weights", "bias", "activation", "adc_bits", "adc_range"]

    /// The `format` of a network file's top-level object, nil when it has none (or is not JSON): lets a command
    /// pick the reader for a file.
    public static func format(ofFileAt path: String) -> String? {
        guard let data = try? InputFile.read(path, limit: NetworkLimits.maxFileBytes),
              let root = try? JSONReader.parse(data).0, case let .object(ms) = root,
              let f = ms.first(where: { $0.key == "format" })?.value, case let .string(s) = f else { return nil }
        return s
    }

    public static func load(path: String) throws -> CrossbarNetwork {
        try decode(InputFile.read(path, limit: NetworkLimits.maxFileBytes), file: path)
    }

    /// Every problem of the file at `path` (empty when valid), with the network when it is valid.
    public static func problems(path: String) -> (network: CrossbarNetwork?, problems: [FormatError]) {
        NetworkFile.collectProblems(path: path, structure: decodeStructure, rules: validate)
    }

    public static func decode(_ data: Data, file: String) throws -> CrossbarNetwork {
        let n = try decodeStructure(data, file: file)
        if let first = validate(n, file: file).first { throw first }
        return n
    }

    /// Syntax, keys, types, format and version; the value rules are `validate`'s.
    public static func decodeStructure(_ data: Data, file: String) throws -> CrossbarNetwork {
        let root = try NetworkFile.parseJSON(data, file: file)
        let d = NetworkDecoder(file: file, architectureOnly: false)
        if case let .object(ms) = root.node {
            if let f = ms.first(where: { $0.key == "format" })?.value, case let .string(text) = f, text != formatName {
                throw d.fail("format", "is \"\(text)\", expected \"\(formatName)\"", .value)
            }
        }
        let m = try d.members(root.node, "", allowed: topKeys, what: "a crossbar network")
        func need(_ key: String) throws -> JSONNode {
            guard let v = m[key] else { throw d.fail(key, "missing required key") }
            return v.0
        }
        guard try d.string(need("format"), "format") == formatName else {
            throw d.fail("format", "expected \"\(formatName)\"", .value)
        }
        let version = try d.integer(need("version"), "version")
        guard version == self.version else {
            throw d.fail("version", "is \(version), only version \(self.version) is supported", .value)
        }
        let layerNodes: [JSONNode]
        switch try need("layers") {
        case let .array(items): layerNodes = items
        case let .numbers(xs) where xs.isEmpty: layerNodes = []
        case let other: throw d.fail("layers", "expected an array of layer objects, found \(other.typeName)")
        }
        if layerNodes.count > NetworkLimits.maxLayers {
            throw d.fail("layers", "has \(layerNodes.count) layers, more than the limit of \(NetworkLimits.maxLayers)", .limit)
        }
        var metadata: String?
        if let (node, range) = m["metadata"] {
            guard case .object = node else { throw d.fail("metadata", "expected an object, found \(node.typeName)") }
            metadata = String(decoding: root.bytes[range], as: UTF8.self)
        }
        return CrossbarNetwork(
            name: try d.string(need("name"), "name"),
            inputs: try d.integer(need("inputs"), "inputs"),
            framePeriod: try d.number(need("frame_period"), "frame_period"),
            inputRange: try pair(d, need("input_range"), "input_range"),
            conductanceRange: try pair(d, need("conductance_range"), "conductance_range"),
            conductanceLevels: try m["conductance_levels"].map { try d.integer($0.0, "conductance_levels") },
            layers: try layerNodes.enumerated().map { try layer(d, $0.element, "layers[\($0.offset)]") },
            metadataJSON: metadata)
    }

    /// `[low, high]`; `low <= high` is a value rule checked here so the range can be built.
    static func pair(_ d: NetworkDecoder, _ node: JSONNode, _ field: String) throws -> ClosedRange<Double> {
        let v = try d.vector(node, field)
        guard v.count == 2 else { throw d.fail(field, "expected [low, high], found \(v.count) numbers") }
        guard v[0].isFinite, v[1].isFinite, v[0] < v[1] else {
            throw d.fail(field, "is [\(v[0]), \(v[1])], must be finite with low < high", .value)
        }
        return v[0]...v[1]
    }

    static func layer(_ d: NetworkDecoder, _ node: JSONNode, _ path: String) throws -> CrossbarLayer {
        guard case let .object(ms) = node else { throw d.fail(path, "expected a layer object, found \(node.typeName)") }
        guard let kindNode = ms.first(where: { $0.key == "kind" })?.value else {
            throw d.fail("\(path).kind", "missing required key (\"crossbar_rnn\" or \"crossbar_dense\")")
        }
        let kindText = try d.string(kindNode, "\(path).kind")
        guard let kind = CrossbarLayerKind(rawValue: kindText) else {
            throw d.fail("\(path).kind", "is \"\(kindText)\", expected \"crossbar_rnn\" or \"crossbar_dense\"", .value)
        }
        let allowed = kind == .rnn ? rnnKeys : denseKeys
        for member in ms where !allowed.contains(member.key) {
            throw d.fail("\(path).\(member.key)", rnnKeys.contains(member.key) ? "not allowed in a \(kind.rawValue) layer"
                         : "unknown key for a \(kind.rawValue) layer (allowed: \(allowed.joined(separator: ", ")))")
        }
        let m = try d.members(node, path, allowed: allowed, what: "a layer")
        func need(_ key: String) throws -> JSONNode {
            guard let v = m[key] else { throw d.fail("\(path).\(key)", "missing required key") }
            return v.0
        }
        let activation: ActivationFunction
        switch try need("activation") {
        case let .string(s):
            guard let f = ActivationFunction(name: s) else {
                throw d.fail("\(path).activation", "is \"\(s)\", expected one of \(ActivationFunction.names.joined(separator: ", ")) or a table {\"x\": [...], \"y\": [...]}", .value)
            }
            activation = f
        case let node:
            let t = try d.members(node, "\(path).activation", allowed: ["x", "y"], what: "an activation table")
            guard let x = t["x"], let y = t["y"] else { throw d.fail("\(path).activation", "a table needs both \"x\" and \"y\"") }
            let xs = try d.vector(x.0, "\(path).activation.x"), ys = try d.vector(y.0, "\(path).activation.y")
            if let p = ActivationFunction.tableProblem(x: xs, y: ys) { throw d.fail("\(path).activation", p, .value) }
            activation = .table(x: xs, y: ys)
        }
        return CrossbarLayer(
            name: try d.string(need("name"), "\(path).name"), kind: kind,
            weights: try d.matrix(need("weights"), "\(path).weights"),
            recurrentWeights: kind == .rnn ? try d.matrix(need("recurrent_weights"), "\(path).recurrent_weights") : nil,
            bias: try d.vector(need("bias"), "\(path).bias"),
            activation: activation,
            adcBits: try d.integer(need("adc_bits"), "\(path).adc_bits"),
            adcRange: try pair(d, need("adc_range"), "\(path).adc_range"),
            initialState: try m["initial_state"].map { try d.vector($0.0, "\(path).initial_state") })
    }

    /// Every value rule broken (at most `NetworkLimits.maxReportedProblems`).
    public static func validate(_ n: CrossbarNetwork, file: String) -> [FormatError] {
        var out = [FormatError]()
        func add(_ field: String, _ reason: String, _ kind: FormatError.Kind = .value) {
            if out.count < NetworkLimits.maxReportedProblems { out.append(FormatError(file: file, field: field, reason: reason, kind: kind)) }
        }
        if !NetworkValidator.isValidNetworkName(n.name) {
            add("name", "\"\(n.name)\" is not a valid network name (1 to 64 characters from A-Z a-z 0-9 _ - .)")
        }
        if !(1...NetworkLimits.maxInputs).contains(n.inputs) { add("inputs", "is \(n.inputs), must be in 1...\(NetworkLimits.maxInputs)") }
        if !n.framePeriod.isFinite || !(n.framePeriod > 0) { add("frame_period", "is \(n.framePeriod) s, must be a finite number > 0") }
        if !(n.inputRange.lowerBound < 0 || n.inputRange.upperBound > 0) { add("input_range", "must include a non-zero value") }
        let g = n.conductanceRange
        if !(g.lowerBound > 0 && g.upperBound <= 1) {
            add("conductance_range", "is [\(g.lowerBound), \(g.upperBound)] S, must satisfy 0 < g_min < g_max ≤ 1 S")
        }
        if let levels = n.conductanceLevels, !(2...maxConductanceLevels).contains(levels) {
            add("conductance_levels", "is \(levels), must be in 2...\(maxConductanceLevels)")
        }
        if n.layers.isEmpty { add("layers", "must contain at least one layer") }
        if n.parameterCount > NetworkLimits.maxParameters {
            add("layers", "has \(n.parameterCount) parameters, more than the limit of \(NetworkLimits.maxParameters)", .limit)
            return out
        }
        var names = Set<String>()
        var width = n.inputs
        for (k, l) in n.layers.enumerated() {
            let p = "layers[\(k)]"
            if !NetworkValidator.isValidLayerName(l.name) {
                add("\(p).name", "\"\(l.name)\" is not a valid layer name (a letter, then up to 31 letters, digits or _)")
            } else if !names.insert(l.name).inserted {
                add("\(p).name", "\"\(l.name)\" is used by an earlier layer")
            }
            if !(1...NetworkLimits.maxUnitsPerLayer).contains(l.units) {
                add("\(p).weights", "has \(l.units) rows (units), must be in 1...\(NetworkLimits.maxUnitsPerLayer)")
                return out
            }
            for (r, row) in l.weights.enumerated() where row.count != width {
                add("\(p).weights[\(r)]", "has \(row.count) columns, expected \(width) (the \(k == 0 ? "network's inputs" : "previous layer's units"))")
            }
            checkFinite(l.weights, "\(p).weights", add)
            if l.bias.count != l.units { add("\(p).bias", "has \(l.bias.count) values, expected \(l.units) (one per unit)") }
            checkFinite([l.bias], "\(p).bias", add, flat: true)
            if let u = l.recurrentWeights {
                if u.count != l.units { add("\(p).recurrent_weights", "has \(u.count) rows, expected \(l.units)") }
                for (r, row) in u.enumerated() where row.count != l.units {
                    add("\(p).recurrent_weights[\(r)]", "has \(row.count) columns, expected \(l.units)")
                }
                checkFinite(u, "\(p).recurrent_weights", add)
            }
            do {
                let adc = try RampADC(function: l.activation, bits: l.adcBits, inputRange: l.adcRange)
                if let h = l.initialState {
                    if h.count != l.units { add("\(p).initial_state", "has \(h.count) values, expected \(l.units)") }
                    for (i, v) in h.enumerated() where !(v.isFinite && v >= adc.outputLow && v <= adc.outputHigh) {
                        add("\(p).initial_state[\(i)]", "is \(v), must be inside the activation's output range [\(adc.outputLow), \(adc.outputHigh)]")
                    }
                }
            } catch {
                add("\(p).\(error.field == "bits" ? "adc_bits" : error.field == "table" ? "activation" : "adc_range")", error.reason)
            }
            width = l.units
        }
        return out
    }

    static func checkFinite(_ m: [[Double]], _ field: String, _ add: (String, String, FormatError.Kind) -> Void, flat: Bool = false) {
        for (r, row) in m.enumerated() {
            for (c, v) in row.enumerated() where !(v.isFinite && abs(v) <= NetworkLimits.maxMagnitude) {
                add(flat ? "\(field)[\(c)]" : "\(field)[\(r)][\(c)]", "is \(v), must be finite with |value| ≤ \(NetworkLimits.maxMagnitude)", .value)
            }
        }
    }

    /// Deterministic JSON text (keys in a fixed order, one matrix row per line).
    public static func encode(_ n: CrossbarNetwork) throws -> Data {
        func list(_ xs: [Double]) -> String { "[" + xs.map(NumberText.json).joined(separator: ", ") + "]" }
        func range(_ r: ClosedRange<Double>) -> String { list([r.lowerBound, r.upperBound]) }
        func matrix(_ m: [[Double]]) -> String {
            m.isEmpty ? "[]" : "[\n" + m.map { "        " + list($0) }.joined(separator: ",\n") + "\n      ]"
        }
        var o = "{\n"
        o += "  \"format\": \(JSONWriter.string(formatName)),\n  \"version\": \(version),\n"
        o += "  \"name\": \(JSONWriter.string(n.name)),\n  \"inputs\": \(n.inputs),\n"
        o += "  \"frame_period\": \(NumberText.json(n.framePeriod)),\n"
        o += "  \"input_range\": \(range(n.inputRange)),\n  \"conductance_range\": \(range(n.conductanceRange)),\n"
        if let levels = n.conductanceLevels { o += "  \"conductance_levels\": \(levels),\n" }
        o += "  \"layers\": ["
        for (k, l) in n.layers.enumerated() {
            var f = ["\"name\": \(JSONWriter.string(l.name))", "\"kind\": \(JSONWriter.string(l.kind.rawValue))"]
            switch l.activation {
            case let .table(x, y): f.append("\"activation\": {\"x\": \(list(x)), \"y\": \(list(y))}")
            default: f.append("\"activation\": \(JSONWriter.string(l.activation.name))")
            }
            f.append("\"adc_bits\": \(l.adcBits)")
            f.append("\"adc_range\": \(range(l.adcRange))")
            f.append("\"weights\": \(matrix(l.weights))")
            if let u = l.recurrentWeights { f.append("\"recurrent_weights\": \(matrix(u))") }
            f.append("\"bias\": \(list(l.bias))")
            if let h = l.initialState { f.append("\"initial_state\": \(list(h))") }
            o += (k == 0 ? "\n" : ",\n") + "    {\n" + f.map { "      " + $0 }.joined(separator: ",\n") + "\n    }"
        }
        o += n.layers.isEmpty ? "]" : "\n  ]"
        if let meta = n.metadataJSON {
            guard let parsed = try? JSONReader.parse(Data(meta.utf8)).0, case .object = parsed else {
                throw FormatError(file: n.name, field: "metadata", reason: "must be a JSON object", kind: .schema)
            }
            o += ",\n  \"metadata\": \(meta)"
        }
        o += "\n}\n"
        return Data(o.utf8)
    }
}
