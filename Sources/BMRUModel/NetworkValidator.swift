// The value rules of a network: names, shapes, ranges, magnitudes, residuals; every problem at once, each
// naming its file and field.

import Foundation

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
