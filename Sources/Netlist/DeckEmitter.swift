// Network (+ stimulus) -> SPICE deck for ngspice and the GF180MCU models.
//
// Circuit per layer (currents in amperes = model units × unit_current):
//   input i:       ideal source iin_<i> into the diode in_<i> (bmru_ndiode)
//   dense relu j:  summing node n_<L>_<j>; positive weights sink from the PMOS sum diode p_<L>_<j>
//                  (bmru_wc), mirrored 1:1 into n (bmru_pmirror); negative weights sink from n (bmru_w);
//                  bias > 0: ideal source vdd_<L> -> n; bias < 0: bmru_nbias sinking from n.
//                  n -> 0 V probe vo_<L>_<j> -> output diode o_<L>_<j> (relu: the diode only sinks).
//   residual:      relu result in diode z_<L>_<j> (probe vz_); z and the residual layer's output are
//                  copied (cascoded, weight 1) into the PMOS sum diode q_<L>_<j>, mirrored into r_<L>_<j>
//                  -> vo_<L>_<j> -> o_<L>_<j>.
//   identity j:    positive sum in PMOS diode p_<L>_<j> fed through vo_<L>_<j>_p, negative sum in
//                  m_<L>_<j> through vo_<L>_<j>_n (both cascoded sinks); biases as ideal sinks.
//   bmru j:        summing as relu into the candidate diode c_<L>_<j> (probe vc_); bmru_cell compares at
//                  x_<L>_<j>, state s_<L>_<j>; level current -> vo_<L>_<j> -> o_<L>_<j>.
// Supplies, one per function: vdd_<L> feeds layer L's mirrors (of a bmru layer: the candidate matrix),
// vddcell_<L> a bmru layer's cells (comparators, level copies), vddref_<L> the layer's bias references (cell
// thresholds, widths, levels; negative biases), vdd_bias the shared bias generator.
// Each layer is one subcircuit `bmru_layer_<L>` instanced once (`xl_<L>`); the supplies, the inputs, the 0 V
// probes and the initial conditions stay at the top level, so every probe keeps its top-level name. Inside
// a layer the element and node names are the global ones above (unique across the deck).

import BMRUModel
import Foundation

public enum DeckEmitter {
    public static let mappingFormatVersion = 1

    public static func emit(network: Network, stimulus: Stimulus?, options: DeckOptions) throws -> EmittedDeck {
        try validate(network: network, stimulus: stimulus, options: options)
        try checkRange(network: network, stimulus: stimulus, options: options)
        var e = Emission(network: network, stimulus: stimulus, options: options.withOperatingPoint(network, stimulus))
        var deck = e.build()
        applyMismatchSample(&deck, options)
        if let noise = options.deviceNoise { try noise.apply(to: &deck, network: network, stop: e.stopTime) }
        return EmittedDeck(deck: deck, mapping: e.mapping, mappingJSON: MappingJSON.encode(e.mapping), stopTime: e.stopTime,
                           frames: e.frames, framePeriod: network.framePeriod)
    }

    // MARK: - validation (names never reach the deck unchecked)

    /// Layer names: `[A-Za-z][A-Za-z0-9_]{0,31}`, unique ignoring case (SPICE names are case-insensitive).
    public static func isValidName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...32).contains(u.count) else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        guard letter(u[0]) else { return false }
        return u.allSatisfy { letter($0) || digit($0) || $0 == 95 }
    }

    /// A path ngspice can take unquoted in a deck (`.include`, `write`): no quotes, control or shell characters.
    public static func isSafePath(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count < 1024 && !s.unicodeScalars.contains { c in
            c.value < 0x20 || c.value == 0x7f || c == "\"" || c == "'" || c == ";" || c == "`" || c == "$" || c == "\\"
        }
    }

    /// A raw-file path the deck's `write` can take: a safe path without spaces.
    public static func isSafeRawPath(_ s: String) -> Bool { isSafePath(s) && !s.contains(" ") }

    static func validate(network: Network, stimulus: Stimulus?, options: DeckOptions) throws {
        func bad(_ f: String, _ r: String, _ k: NetlistError.Kind = .invalidNetwork) -> NetlistError {
            NetlistError(kind: k, field: f, reason: r)
        }
        guard options.vdd > 0.5, options.vdd <= 3.6, options.vdd.isFinite else {
            throw bad("options.vdd", "must be in (0.5, 3.6] V for 3.3 V devices, got \(options.vdd)", .invalidOption)
        }
        guard options.temperature >= -60, options.temperature <= 200 else {
            throw bad("options.temperature", "must be in [-60, 200] °C, got \(options.temperature)", .invalidOption)
        }
        guard isSafePath(options.modelsDirectory) else {
            throw bad("options.modelsDirectory", "path is empty or contains quotes, control characters or shell characters", .invalidOption)
        }
        if let r = options.rawPath, !isSafeRawPath(r) {
            throw bad("options.rawPath", "path is empty or contains spaces, quotes, control characters or shell characters (ngspice's write takes it unquoted)", .invalidOption)
        }
        if let s = options.mismatchSeed, s < 1 || s > 2_147_483_647 {
            throw bad("options.mismatchSeed", "must be in 1...2147483647 (ngspice's seed range), got \(s)", .invalidOption)
        }
        if options.mismatchSeed != nil && options.mismatchSample != nil {
            // both would give the library devices a `delvto`: ngspice's own draws and the shared sample
            throw bad("options.mismatchSeed", "cannot be combined with a shared mismatch sample (choose PDK draws or the shared sample)", .invalidOption)
        }
        if let h = options.networkSHA256, !(h.count == 64 && h.allSatisfy { $0.isHexDigit }) {
            throw bad("options.networkSHA256", "must be 64 hex digits", .invalidOption)
        }
        guard options.stepsPerFrame >= 1, options.stepsPerFrame <= 100_000 else {
            throw bad("options.stepsPerFrame", "must be in 1...100000", .invalidOption)
        }
        guard options.edgeFraction > 0, options.edgeFraction <= 0.01 else {
            throw bad("options.edgeFraction", "must be in (0, 0.01] (edges within the first 1 % of a frame)", .invalidOption)
        }
        if case let .dcSweep(src, a, b, st) = options.analysis {
            guard src.utf8.count <= 80, src.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }),
                  a.isFinite, b.isFinite, st.isFinite, st != 0 else {
                throw bad("options.analysis", "dc sweep needs a lower-case source name and finite start/stop/step", .invalidOption)
            }
        }
        guard network.unitCurrent.isFinite, network.unitCurrent > 1e-15, network.unitCurrent <= 1e-3 else {
            throw bad("unit_current", "must be in (1e-15, 1e-3] A")
        }
        guard network.framePeriod.isFinite, network.framePeriod > 0 else { throw bad("frame_period", "must be > 0") }
        guard network.inputs >= 1 else { throw bad("inputs", "must be ≥ 1") }
        var seen: [String: Int] = [:]
        var widths: [String: Int] = [:]
        var width = network.inputs
        for (k, l) in network.layers.enumerated() {
            let f = "layers[\(k)]"
            guard isValidName(l.name) else {
                throw bad(f + ".name", "'\(printable(l.name))' is not a valid layer name ([A-Za-z][A-Za-z0-9_]{0,31}); refused before writing anything", .invalidName)
            }
            let low = l.name.lowercased()
            if let j = seen[low] {
                throw bad(f + ".name", "'\(l.name)' equals layers[\(j)].name ignoring case (SPICE names are case-insensitive)", .invalidName)
            }
            seen[low] = k
            guard l.outputs >= 1 else { throw bad(f + ".weights", "has no rows") }
            for (j, row) in l.weights.enumerated() {
                guard row.count == width else {
                    throw bad(f + ".weights[\(j)]", "has \(row.count) columns, the layer's input has \(width)")
                }
                for (i, w) in row.enumerated() where !w.isFinite {
                    throw bad(f + ".weights[\(j)][\(i)]", "is not finite")
                }
            }
            guard l.bias.count == l.outputs else { throw bad(f + ".bias", "has \(l.bias.count) entries, expected \(l.outputs)") }
            for (j, b) in l.bias.enumerated() where !b.isFinite { throw bad(f + ".bias[\(j)]", "is not finite") }
            if l.activation == .identity && (l.kind != .dense || k != network.layers.count - 1) {
                throw bad(f + ".activation", "identity is allowed only on the last layer, a dense one")
            }
            if let r = l.residual {
                guard l.kind == .dense else { throw bad(f + ".residual", "only dense layers take a residual") }
                guard let w = widths[r.lowercased()], network.layers.contains(where: { $0.name == r }) else {
                    throw bad(f + ".residual", "'\(printable(r))' is not an earlier layer")
                }
                guard w == l.outputs else { throw bad(f + ".residual", "layer '\(r)' has \(w) units, this layer \(l.outputs)") }
            }
            if l.kind == .bmru {
                guard let lo = l.thetaLow, let hi = l.thetaHigh, let lv = l.level,
                      lo.count == l.outputs, hi.count == l.outputs, lv.count == l.outputs else {
                    throw bad(f, "bmru layer needs theta_low, theta_high and level with \(l.outputs) entries each")
                }
                for j in 0..<l.outputs {
                    guard lo[j].isFinite, hi[j].isFinite, lv[j].isFinite, lo[j] >= 0, hi[j] >= lo[j], lv[j] >= 0 else {
                        throw bad(f + ".theta_low[\(j)]", "needs 0 ≤ theta_low ≤ theta_high and level ≥ 0, all finite")
                    }
                }
                if let s0 = l.initialState {
                    guard s0.count == l.outputs, s0.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                        throw bad(f + ".initial_state", "needs \(l.outputs) entries, each 0 or 1")
                    }
                }
            }
            widths[low] = l.outputs
            width = l.outputs
        }
        guard !network.layers.isEmpty else { throw bad("layers", "is empty") }
        if let s = stimulus {
            guard !s.frames.isEmpty else { throw bad("stimulus", "has no frames", .invalidStimulus) }
            guard s.inputs == network.inputs else {
                throw bad("stimulus", "has \(s.inputs) inputs, the network \(network.inputs)", .invalidStimulus)
            }
            for (t, row) in s.frames.enumerated() {
                guard row.count == network.inputs else {
                    throw bad("stimulus.frames[\(t)]", "has \(row.count) values, expected \(network.inputs)", .invalidStimulus)
                }
                for (i, x) in row.enumerated() where !x.isFinite {
                    throw bad("stimulus.frames[\(t)][\(i)]", "is not finite", .invalidStimulus)
                }
            }
        }
    }

    /// Second guard after the file checks: the first hard limit of the operating range the network breaks.
    static func checkRange(network: Network, stimulus: Stimulus?, options: DeckOptions) throws {
        guard let range = options.operatingRange,
              let e = range.check(network, stimulus: stimulus, limit: 1).first(where: { $0.severity == .error }) else { return }
        throw NetlistError(kind: e.isStimulus ? .invalidStimulus : .invalidNetwork, field: e.field, reason: e.reason)
    }

    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.prefix(40).map { $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
    }
}
