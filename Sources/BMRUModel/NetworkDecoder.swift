// Structural decoding of a `bmru-network` file: JSON syntax, keys, types, format and version, layer by layer
// (the value rules are NetworkValidator's).

import Foundation

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
