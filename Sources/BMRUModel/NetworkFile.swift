// Reading, validating and writing `bmru-network` version 1 files (JSON). See README for the format.

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
        do {
            let n = try decodeStructure(readFile(path, limit: NetworkLimits.maxFileBytes), file: path)
            let p = validate(n, file: path)
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

// MARK: - structural decoding

struct NetworkDecoder {
    let file: String
    /// architecture files (for import) carry no numeric arrays
    let architectureOnly: Bool

    static let topKeys = ["format", "version", "name", "unit_current", "frame_period", "inputs", "layers", "metadata"]
    static let numericKeys = ["weights", "bias", "theta_low", "theta_high", "level", "initial_state"]
    static let denseKeys = ["name", "kind", "weights", "bias", "activation", "residual"]
    static let bmruKeys = ["name", "kind", "weights", "bias", "theta_low", "theta_high", "level", "initial_state"]

    func fail(_ field: String, _ reason: String, _ kind: FormatError.Kind = .schema) -> FormatError {
        FormatError(file: file, field: field, reason: reason, kind: kind)
    }

    func members(_ node: JSONNode, _ path: String, allowed: [String], what: String) throws -> [String: (JSONNode, Range<Int>)] {
        guard case .object(let ms) = node else {
            throw fail(path, "expected an object, found \(node.typeName)")
        }
        var out = [String: (JSONNode, Range<Int>)]()
        for m in ms {
            let field = path.isEmpty ? m.key : "\(path).\(m.key)"
            guard allowed.contains(m.key) else {
                throw fail(field, "unknown key for \(what) (allowed: \(allowed.joined(separator: ", ")))")
            }
            out[m.key] = (m.value, m.range)
        }
        return out
    }

    func string(_ node: JSONNode, _ field: String) throws -> String {
        guard case .string(let s) = node else { throw fail(field, "expected a string, found \(node.typeName)") }
        return s
    }

    func number(_ node: JSONNode, _ field: String) throws -> Double {
        guard case .number(let d) = node else { throw fail(field, "expected a number, found \(node.typeName)") }
        return d
    }

    func integer(_ node: JSONNode, _ field: String) throws -> Int {
        let d = try number(node, field)
        guard d == d.rounded(), abs(d) < 1e15 else { throw fail(field, "expected an integer, found \(d)") }
        return Int(d)
    }

    func vector(_ node: JSONNode, _ field: String) throws -> [Double] {
        switch node {
        case .numbers(let xs): return xs
        case .array(let items):
            for (i, item) in items.enumerated() where { if case .number = item { return false }; return true }() {
                throw fail("\(field)[\(i)]", "expected a number, found \(item.typeName)")
            }
            return []  // unreachable: arrays of numbers are packed
        default: throw fail(field, "expected an array of numbers, found \(node.typeName)")
        }
    }

    func matrix(_ node: JSONNode, _ field: String) throws -> [[Double]] {
        switch node {
        case .numbers(let xs):
            if xs.isEmpty { return [] }
            throw fail("\(field)[0]", "expected an array (a row of the matrix), found a number")
        case .array(let rows):
            return try rows.enumerated().map { try vector($0.element, "\(field)[\($0.offset)]") }
        default: throw fail(field, "expected an array of rows, found \(node.typeName)")
        }
    }

    func network(_ root: JSONNode, bytes: [UInt8]) throws -> Network {
        // format and version first: a different kind of file should be reported as such
        if case .object(let ms) = root {
            if let f = ms.first(where: { $0.key == "format" })?.value, case .string(let text) = f, text != NetworkFile.formatName {
                throw fail("format", "is \"\(text)\", expected \"\(NetworkFile.formatName)\"", .value)
            }
            if let v = ms.first(where: { $0.key == "version" })?.value, case .number(let d) = v, d != Double(NetworkFile.version) {
                throw fail("version", "is \(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)), only version \(NetworkFile.version) is supported", .value)
            }
        }
        let m = try members(root, "", allowed: NetworkDecoder.topKeys, what: "a network")
        func need(_ key: String) throws -> JSONNode {
            guard let v = m[key] else { throw fail(key, "missing required key") }
            return v.0
        }
        let format = try string(need("format"), "format")
        guard format == NetworkFile.formatName else {
            throw fail("format", "is \"\(format)\", expected \"\(NetworkFile.formatName)\"", .value)
        }
        let version = try integer(need("version"), "version")
        guard version == NetworkFile.version else {
            throw fail("version", "is \(version), only version \(NetworkFile.version) is supported", .value)
        }
        let name = try string(need("name"), "name")
        let unit = try number(need("unit_current"), "unit_current")
        let period = try number(need("frame_period"), "frame_period")
        let inputs = try integer(need("inputs"), "inputs")
        let layersNode = try need("layers")
        let layerNodes: [JSONNode]
        switch layersNode {
        case .array(let items): layerNodes = items
        case .numbers(let xs) where xs.isEmpty: layerNodes = []
        default: throw fail("layers", "expected an array of layer objects, found \(layersNode.typeName)")
        }
        if layerNodes.count > NetworkLimits.maxLayers {
            throw fail("layers", "has \(layerNodes.count) layers, more than the limit of \(NetworkLimits.maxLayers)", .limit)
        }
        let layers = try layerNodes.enumerated().map { try layer($0.element, "layers[\($0.offset)]") }
        var metadata: String?
        if let (node, range) = m["metadata"] {
            guard case .object = node else { throw fail("metadata", "expected an object, found \(node.typeName)") }
            metadata = String(decoding: bytes[range], as: UTF8.self)
        }
        return Network(name: name, unitCurrent: unit, framePeriod: period, inputs: inputs,
                       layers: layers, metadataJSON: metadata)
    }

    func layer(_ node: JSONNode, _ path: String) throws -> Layer {
        guard case .object(let ms) = node else { throw fail(path, "expected a layer object, found \(node.typeName)") }
        guard let kindNode = ms.first(where: { $0.key == "kind" })?.value else {
            throw fail("\(path).kind", "missing required key (\"dense\" or \"bmru\")")
        }
        let kindText = try string(kindNode, "\(path).kind")
        guard let kind = LayerKind(rawValue: kindText) else {
            throw fail("\(path).kind", "is \"\(kindText)\", expected \"dense\" or \"bmru\"", .value)
        }
        let allowed = kind == .dense ? NetworkDecoder.denseKeys : NetworkDecoder.bmruKeys
        for member in ms where !allowed.contains(member.key) {
            let known = NetworkDecoder.denseKeys.contains(member.key) || NetworkDecoder.bmruKeys.contains(member.key)
            throw fail("\(path).\(member.key)", known ? "not allowed in a \(kind.rawValue) layer"
                       : "unknown key for a \(kind.rawValue) layer (allowed: \(allowed.joined(separator: ", ")))")
        }
        let m = try members(node, path, allowed: allowed, what: "a layer")
        if architectureOnly {
            for key in NetworkDecoder.numericKeys where m[key] != nil {
                throw fail("\(path).\(key)", "not allowed in an architecture file (numeric arrays come from the tensor file)")
            }
        }
        func need(_ key: String) throws -> JSONNode {
            guard let v = m[key] else { throw fail("\(path).\(key)", "missing required key") }
            return v.0
        }
        let name = try string(need("name"), "\(path).name")
        var l = Layer(name: name, kind: kind, weights: [], bias: [])
        if kind == .dense {
            if let a = m["activation"] {
                let text = try string(a.0, "\(path).activation")
                guard let act = Activation(rawValue: text) else {
                    throw fail("\(path).activation", "is \"\(text)\", expected \"relu\" or \"identity\"", .value)
                }
                l.activation = act
            }
            if let r = m["residual"] { l.residual = try string(r.0, "\(path).residual") }
        }
        if architectureOnly { return l }
        l.weights = try matrix(need("weights"), "\(path).weights")
        l.bias = try vector(need("bias"), "\(path).bias")
        if kind == .bmru {
            l.thetaLow = try vector(need("theta_low"), "\(path).theta_low")
            l.thetaHigh = try vector(need("theta_high"), "\(path).theta_high")
            l.level = try vector(need("level"), "\(path).level")
            if let s = m["initial_state"] {
                let xs = try vector(s.0, "\(path).initial_state")
                l.initialState = try xs.enumerated().map { i, x in
                    guard x == 0 || x == 1 else { throw fail("\(path).initial_state[\(i)]", "is \(x), must be 0 or 1", .value) }
                    return Int(x)
                }
            } else {
                l.initialState = Array(repeating: 0, count: l.weights.count)
            }
        }
        return l
    }
}

// MARK: - validation

struct NetworkValidator {
    let file: String
    /// where a field of layer k is: (layer index, key, suffix like "[1][3]") -> (file, field)
    let fieldName: (Int, String, String) -> (String, String)
    var problems = [FormatError]()

    init(file: String, fieldName: @escaping (Int, String, String) -> (String, String)) {
        self.file = file; self.fieldName = fieldName
    }

    var full: Bool { problems.count >= NetworkLimits.maxReportedProblems }

    mutating func add(_ field: String, _ reason: String, _ kind: FormatError.Kind = .value) {
        add((file, field), reason, kind)
    }

    mutating func add(_ place: (String, String), _ reason: String, _ kind: FormatError.Kind = .value) {
        if !full { problems.append(FormatError(file: place.0, field: place.1, reason: reason, kind: kind)) }
    }

    static func isValidLayerName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...32).contains(u.count) else { return false }
        func letter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        func digit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
        return letter(u[0]) && u.dropFirst().allSatisfy { letter($0) || digit($0) || $0 == 0x5F }
    }

    static func isValidNetworkName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...64).contains(u.count) else { return false }
        return u.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
            || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E }
    }

    /// layer names the netlist uses for its own nodes (`vdd_bias`)
    static let reservedLayerNames: Set<String> = ["bias"]

    mutating func check(_ n: Network) {
        if !NetworkValidator.isValidNetworkName(n.name) {
            add("name", "\"\(n.name)\" is not a valid network name (1 to 64 characters from A-Z a-z 0-9 _ - .)")
        }
        if !n.unitCurrent.isFinite || !(n.unitCurrent > 1e-15 && n.unitCurrent <= 1e-3) {
            add("unit_current", "is \(n.unitCurrent) A, must be in (1e-15, 1e-3] A")
        }
        if !n.framePeriod.isFinite || !(n.framePeriod > 0) {
            add("frame_period", "is \(n.framePeriod) s, must be a finite number > 0")
        }
        if n.inputs < 1 { add("inputs", "is \(n.inputs), must be at least 1") }
        if n.inputs > NetworkLimits.maxInputs {
            add("inputs", "is \(n.inputs), more than the limit of \(NetworkLimits.maxInputs)", .limit)
            return
        }
        if n.layers.isEmpty { add("layers", "must contain at least one layer") }
        if n.layers.count > NetworkLimits.maxLayers {
            add("layers", "has \(n.layers.count) layers, more than the limit of \(NetworkLimits.maxLayers)", .limit)
            return
        }
        let parameters = n.parameterCount
        if parameters > NetworkLimits.maxParameters {
            add("layers", "has \(parameters) parameters, more than the limit of \(NetworkLimits.maxParameters)", .limit)
            return
        }
        var seen = [String: Int]()  // lower-cased name -> layer index
        var width = n.inputs
        for (k, l) in n.layers.enumerated() {
            let name = fieldName
            let f = { (key: String, rest: String) in name(k, key, rest) }
            if !NetworkValidator.isValidLayerName(l.name) {
                add(f("name", ""), "\"\(l.name)\" is not a valid layer name (a letter, then up to 31 letters, digits or _)")
            } else if NetworkValidator.reservedLayerNames.contains(l.name.lowercased()) {
                add(f("name", ""), "\"\(l.name)\" is reserved (the netlist uses it for its own nodes)")
            } else if let other = seen[l.name.lowercased()] {
                add(f("name", ""), "\"\(l.name)\" is used by layers[\(other)] too (names must be unique, ignoring case)")
            } else {
                seen[l.name.lowercased()] = k
            }
            let rows = l.weights.count
            if rows == 0 { add(f("weights", ""), "must have at least one row (one per output unit)") }
            if rows > NetworkLimits.maxUnitsPerLayer {
                add(f("weights", ""), "has \(rows) rows (units), more than the limit of \(NetworkLimits.maxUnitsPerLayer)", .limit)
            }
            let source = k == 0 ? "the network's \(n.inputs) inputs" : "the \(width) outputs of layer \"\(n.layers[k - 1].name)\""
            for (r, row) in l.weights.enumerated() {
                if row.count != width {
                    add(f("weights", "[\(r)]"), "has \(row.count) columns, expected \(width) (\(source))")
                }
                for (c, x) in row.enumerated() {
                    if !x.isFinite { add(f("weights", "[\(r)][\(c)]"), "is not a finite number") }
                    else if abs(x) > NetworkLimits.maxMagnitude {
                        add(f("weights", "[\(r)][\(c)]"), "is \(x), beyond the limit of ±\(Int(NetworkLimits.maxMagnitude)) model units", .limit)
                    }
                }
                if full { return }
            }
            checkVector(l.bias, rows, f, "bias", nonNegative: false)
            if l.kind == .bmru {
                if l.residual != nil { add(f("residual", ""), "not allowed in a bmru layer") }
                if l.activation != .relu { add(f("activation", ""), "not allowed in a bmru layer") }
                checkVector(l.thetaLow, rows, f, "theta_low", nonNegative: true)
                checkVector(l.thetaHigh, rows, f, "theta_high", nonNegative: true)
                checkVector(l.level, rows, f, "level", nonNegative: true)
                if let lo = l.thetaLow, let hi = l.thetaHigh, lo.count == hi.count {
                    for i in 0..<lo.count where lo[i] > hi[i] {
                        add(f("theta_low", "[\(i)]"), "θ_low = \(lo[i]) is greater than θ_high = \(hi[i])")
                    }
                }
                if let s = l.initialState {
                    if s.count != rows { add(f("initial_state", ""), "has \(s.count) entries, expected \(rows) (one per unit)") }
                    for (i, x) in s.enumerated() where x != 0 && x != 1 { add(f("initial_state", "[\(i)]"), "is \(x), must be 0 or 1") }
                }
            } else {
                if l.thetaLow != nil { add(f("theta_low", ""), "not allowed in a dense layer") }
                if l.thetaHigh != nil { add(f("theta_high", ""), "not allowed in a dense layer") }
                if l.level != nil { add(f("level", ""), "not allowed in a dense layer") }
                if l.initialState != nil { add(f("initial_state", ""), "not allowed in a dense layer") }
                if l.activation == .identity && k != n.layers.count - 1 {
                    add(f("activation", ""), "\"identity\" is allowed only on the last layer (layer \(k) of \(n.layers.count))")
                }
                if let r = l.residual {
                    if let j = n.layers.firstIndex(where: { $0.name == r }) {
                        if j >= k {
                            add(f("residual", ""), "names layer \"\(r)\" (layers[\(j)]), which is not an earlier layer")
                        } else if n.layers[j].outputs != rows {
                            add(f("residual", ""), "layer \"\(r)\" has \(n.layers[j].outputs) outputs, this layer has \(rows) (must be equal)")
                        }
                    } else {
                        add(f("residual", ""), "names \"\(r)\", which is not a layer of this network")
                    }
                }
            }
            width = rows
            if full { return }
        }
    }

    mutating func checkVector(_ v: [Double]?, _ rows: Int, _ f: (String, String) -> (String, String), _ key: String, nonNegative: Bool) {
        guard let v else { add(f(key, ""), "missing (required for this layer kind)"); return }
        if v.count != rows { add(f(key, ""), "has \(v.count) entries, expected \(rows) (one per unit, the rows of weights)") }
        for (i, x) in v.enumerated() {
            if !x.isFinite { add(f(key, "[\(i)]"), "is not a finite number") }
            else if abs(x) > NetworkLimits.maxMagnitude {
                add(f(key, "[\(i)]"), "is \(x), beyond the limit of ±\(Int(NetworkLimits.maxMagnitude)) model units", .limit)
            }
            else if nonNegative && x < 0 { add(f(key, "[\(i)]"), "is \(x), must be ≥ 0") }
        }
    }
}
