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
// Layer L's devices draw from vdd_<L>; references and the shared bias generator from vdd_bias.

import BMRUModel
import Foundation

public enum DeckEmitter {
    public static let mappingFormatVersion = 1

    public static func emit(network: Network, stimulus: Stimulus?, options: DeckOptions) throws -> EmittedDeck {
        try validate(network: network, stimulus: stimulus, options: options)
        try checkRange(network: network, stimulus: stimulus, options: options)
        var e = Emission(network: network, stimulus: stimulus, options: options.withOperatingPoint(network, stimulus))
        e.build()
        let json = MappingJSON.encode(e.mapping)
        return EmittedDeck(text: applyMismatchSample(e.out, options), mapping: e.mapping, mappingJSON: json, stopTime: e.stopTime,
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
        for (k, v) in options.perturbations.sorted(by: { $0.key < $1.key }) {
            guard k.utf8.count <= 80, k.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }),
                  v.isFinite, v >= 0 else {
                throw bad("options.perturbations.\(k.utf8.allSatisfy { $0 < 128 && $0 >= 32 } ? k : "?")",
                          "must name a lower-case deck element and give a finite factor ≥ 0", .invalidOption)
            }
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

/// The emission state: text being built and the mapping entries.
struct Emission {
    let network: Network
    let stimulus: Stimulus?
    let options: DeckOptions
    var out = ""
    var params: [ParameterRealization] = []
    var probes: [ProbeEntry] = []
    var saves: [String] = []
    var ics: [String] = []
    var frames = 1
    var stopTime = 0.0
    var mapping: DeckMapping! = nil

    init(network: Network, stimulus: Stimulus?, options: DeckOptions) {
        self.network = network; self.stimulus = stimulus; self.options = options
        out.reserveCapacity(4096 + network.layers.reduce(0) { $0 + $1.outputs * ($1.inputs + 8) * 64 })
    }

    var iu: Double { network.unitCurrent }
    var vdd: String { NumberText.spice(options.vdd) }

    mutating func line(_ s: String) { out += s; out += "\n" }

    func scaled(_ element: String, _ value: Double) -> Double {
        value * (options.perturbations[element] ?? 1)
    }

    mutating func build() {
        let T = network.framePeriod
        frames = max(1, stimulus?.frames.count ?? 1)
        stopTime = Double(frames) * T
        header()
        line(options.mismatchSeed == nil ? CellLibrary.text() : DeckMismatch.library(CellLibrary.text()))
        line("* ---------------------------------------------------------------- supplies and shared bias")
        line("vdd_bias vdd_bias 0 \(vdd)")
        probe("i(vdd_bias)", "supply_current", nil, nil)
        line("ibias_cn vdd_bias bias_cn dc \(NumberText.spice(iu))")
        line("ibias_st bias_sp 0 dc \(NumberText.spice(iu / 4))")
        line("ibias_cp bias_cp 0 dc \(NumberText.spice(iu))")
        line("xbias vdd_bias bias_cn bias_sp bias_cp bmru_biasgen")
        inputs()
        var sources = (0..<network.inputs).map { "in_\($0)" }
        var outNodes: [String: [String]] = [:]
        for (k, l) in network.layers.enumerated() {
            let names = layer(k, l, inputs: sources, outNodes: outNodes)
            outNodes[l.name.lowercased()] = names
            sources = names
        }
        trailer()
        var tech: [String: String] = [
            "nmos": Technology.nmos, "pmos": Technology.pmos,
            "unit_finger_um": "W \(Technology.unitWidth) L \(Technology.unitLength)",
            "reference_fingers": String(Technology.referenceFingers),
            "delta_width_um": String(Technology.deltaWidth),
            "finger_width_range_um": "\(Technology.minFingerWidth)-\(Technology.maxFingerWidth)",
            "minimum_weight": String(Technology.smallestWeight),
            "minimum_main_bin_weight": String(Technology.minimumWeight),
            "bias_copy_fingers": String(Technology.biasCopyFingers),
            "options": Technology.options,
        ]
        tech["models_directory"] = options.modelsDirectory
        tech.merge(calibrationTechnology()) { _, b in b }
        mapping = DeckMapping(generator: "bmru \(options.generatorVersion)", network: DeckEmitter.printable(network.name),
                              networkSHA256: options.networkSHA256, unitCurrentA: iu, framePeriodS: T, frames: frames,
                              stopTimeS: stopTime, corner: options.corner.rawValue, vdd: options.vdd,
                              temperatureC: options.temperature, technology: tech, probes: probes, parameters: params,
                              perturbations: options.perturbations)
    }

    mutating func header() {
        // Title line (ngspice ignores it as a card). Everything from the input file is sanitised.
        line("* AnalogBMRU FQ-BMRU deck")
        line("* network: \(DeckEmitter.printable(network.name))")
        line("* network sha256: \(options.networkSHA256 ?? "not given")")
        line("* generator: bmru \(options.generatorVersion), netlist format \(DeckEmitter.mappingFormatVersion)")
        line("* corner \(options.corner.rawValue), VDD \(vdd) V, temperature \(NumberText.spice(options.temperature)) C")
        line("* unit current \(NumberText.spice(iu)) A, frame period \(NumberText.spice(network.framePeriod)) s, frames \(frames)")
        if !options.perturbations.isEmpty {
            let p = options.perturbations.sorted { $0.key < $1.key }.map { "\($0.key) x\(NumberText.spice($0.value))" }
            line("* TEST PERTURBATIONS (deliberately broken circuit): " + p.joined(separator: ", "))
        }
        line("*")
        line("* Probe contract (all lower case):")
        line("*   frame k's input holds on [k*T, (k+1)*T), edges within the first \(NumberText.spice(options.edgeFraction * 100)) % of the frame;")
        line("*   the value at the end of frame k is compared with the model's frame k output.")
        line("*   v(s_<L>_<i>)  state of unit i of bmru layer L (high = 1)")
        line("*   i(vo_<L>_<i>) output current of unit i of layer L (identity last layer: i(vo_<L>_<i>_p) - i(vo_<L>_<i>_n))")
        line("*   i(vc_<L>_<i>) candidate current of a bmru unit; v(x_<L>_<i>) its comparison node")
        line("*   iin_<i>       input current sources; i(vdd_<L>) per-layer supply, i(vdd_bias) references")
        line("*   (supply currents are negative when the supply delivers power)")
        line("*")
        line(".include \"\(options.modelsDirectory)/design.ngspice\"")
        line(".lib \"\(options.modelsDirectory)/sm141064.ngspice\" \(options.corner.rawValue)")
        if let seed = options.mismatchSeed {
            line("* Monte Carlo mismatch sample \(seed): per-device mismatch on, global variation off (the corner sets it)")
            line(".param sw_stat_global=0 sw_stat_mismatch=1")
            line(".option seed=\(seed)")
        } else {
            line("* design.ngspice enables Monte Carlo by default: nominal devices here")
            line(".param sw_stat_global=0 sw_stat_mismatch=0")
        }
        line(".temp \(NumberText.spice(options.temperature))")
        line("* abstol/chgtol/gmin far below the pA currents that matter; gear integration (see Technology.options)")
        line(Technology.options)
    }

    mutating func inputs() {
        line("* ---------------------------------------------------------------- inputs (max(x, 0) x I_unit)")
        let T = network.framePeriod
        let edge = T * options.edgeFraction
        for i in 0..<network.inputs {
            let name = "iin_\(i)"
            var spec: String
            if let s = stimulus, !s.frames.isEmpty {
                let v = s.frames.map { max($0[i], 0) * iu }
                var pts = "0 \(NumberText.spice(v[0]))"
                for k in 1..<v.count where v[k] != v[k - 1] {
                    pts += " \(NumberText.spice(Double(k) * T)) \(NumberText.spice(v[k - 1])) \(NumberText.spice(Double(k) * T + edge)) \(NumberText.spice(v[k]))"
                }
                spec = "dc \(NumberText.spice(v[0])) pwl(\(pts))"
            } else {
                spec = "dc 0"
            }
            line("\(name) 0 in_\(i) \(spec)")
            line("xdin_\(i) in_\(i) bmru_ndiode")
            probe("v(in_\(i))", "input_node", nil, i)
        }
    }

    mutating func probe(_ v: String, _ kind: String, _ layer: String?, _ unit: Int?) {
        probes.append(ProbeEntry(vector: v, kind: kind, layer: layer, unit: unit))
        saves.append(v)
    }

    mutating func param(_ p: String, _ value: Double, _ how: String, _ elements: [String], fingers: Int? = nil,
                        width: Double? = nil, current: Double? = nil, realized: Double, note: String? = nil) {
        params.append(ParameterRealization(parameter: p, value: value, realization: how, elements: elements,
                                           fingers: fingers, fingerWidthUm: width, currentA: current,
                                           realizedValue: realized, error: realized - value, note: note))
    }

    /// A weight sink device from `gate` into `node`; returns nothing when no device is drawn.
    mutating func weight(_ pname: String, _ w: Double, element: String, node: String, gate: String, cascoded: Bool) {
        let r = weightRealization(pname, w, cascoded: cascoded)
        let sign: Double = w < 0 ? -1 : 1
        switch r.kind {
        case .zero:
            param(pname, w, "zero", [], realized: 0, note: "no device")
        case .belowMinimumDropped:
            param(pname, w, r.kind.rawValue, [], realized: 0,
                  note: "|w| below half the smallest realisable weight \(Technology.smallestWeight); no device")
            line("* \(element): weight \(NumberText.spice(w)) below half the minimum \(NumberText.spice(Technology.smallestWeight)): not drawn")
        case .fingers, .belowMinimumRounded, .narrowFinger:
            let sub = cascoded ? "bmru_wc" : "bmru_w"
            let cn = cascoded ? " bias_cn" : ""
            line("\(element) \(node) \(gate)\(cn) \(sub) w=\(NumberText.micrometres(r.fingerWidth)) fingers=\(r.fingers)")
            param(pname, w, r.kind.rawValue, [element], fingers: r.fingers, width: Double(NumberText.micrometres(r.fingerWidth).dropLast())!,
                  realized: sign * r.realizedMagnitude,
                  note: r.kind == .belowMinimumRounded ? "rounded up to the smallest realisable weight \(Technology.smallestWeight)"
                      : r.kind == .narrowFinger ? "one finger in the 0.5-1.2 um model bin, sized from the measured table" : nil)
        }
    }

    /// Emits layer k; returns its output diode nodes.
    mutating func layer(_ k: Int, _ l: Layer, inputs src: [String], outNodes: [String: [String]]) -> [String] {
        let L = l.name.lowercased()
        let sup = "vdd_\(L)"
        let kindText = l.kind == .bmru ? "bmru" : "dense \(l.activation.rawValue)"
        line("* ---------------------------------------------------------------- layer \(L): \(kindText) \(l.inputs) -> \(l.outputs)\(l.residual.map { ", residual from \($0.lowercased())" } ?? "")")
        line("\(sup) \(sup) 0 \(vdd)")
        probe("i(\(sup))", "supply_current", L, nil)
        var outs: [String] = []
        let identity = l.kind == .dense && l.activation == .identity
        for j in 0..<l.outputs {
            line("* \(L) unit \(j)")
            if identity {
                let p = "p_\(L)_\(j)", m = "m_\(L)_\(j)"
                line("vo_\(L)_\(j)_p \(sup) ps_\(L)_\(j) 0")
                line("xpd_\(L)_\(j)_p ps_\(L)_\(j) \(p) bmru_pdiode")
                line("vo_\(L)_\(j)_n \(sup) ns_\(L)_\(j) 0")
                line("xpd_\(L)_\(j)_n ns_\(L)_\(j) \(m) bmru_pdiode")
                probe("i(vo_\(L)_\(j)_p)", "output_current_positive", L, j)
                probe("i(vo_\(L)_\(j)_n)", "output_current_negative", L, j)
                for (i, w) in l.weights[j].enumerated() {
                    weight("\(l.name).weights[\(j)][\(i)]", w, element: "xw_\(L)_\(j)_\(i)", node: w < 0 ? m : p,
                           gate: src[i], cascoded: true)
                }
                let b = l.bias[j], el = "ib_\(L)_\(j)"
                if b == 0 {
                    param("\(l.name).bias[\(j)]", b, "none", [], realized: 0, note: "zero bias: no source")
                } else {
                    let a = scaled(el, abs(b) * iu)
                    line("\(el) \(b > 0 ? p : m) 0 dc \(NumberText.spice(a))")
                    param("\(l.name).bias[\(j)]", b, "ideal_current", [el], current: abs(b) * iu, realized: b,
                          note: b > 0 ? "sunk through the positive output diode" : "sunk through the negative output diode")
                }
                if let r = l.residual {
                    let rn = outNodes[r.lowercased()]![j]
                    copy("\(l.name).residual[\(j)]", element: "xwr_\(L)_\(j)", node: p, gate: rn)
                }
                outs.append(p)
                continue
            }
            // relu dense and bmru share the summing structure
            let n = "n_\(L)_\(j)", p = "p_\(L)_\(j)"
            var positive = false
            for (i, w) in l.weights[j].enumerated() {
                let el = "xw_\(L)_\(j)_\(i)"
                if w >= Technology.smallestWeight / 2 { positive = true }
                weight("\(l.name).weights[\(j)][\(i)]", w, element: el, node: w > 0 ? p : n, gate: src[i], cascoded: w > 0)
            }
            if positive { line("xpm_\(L)_\(j) \(sup) \(p) \(n) bias_cp bmru_pmirror") }
            let b = l.bias[j], el = "ib_\(L)_\(j)"
            if b > 0 {
                line("\(el) \(sup) \(n) dc \(NumberText.spice(scaled(el, b * iu)))")
                param("\(l.name).bias[\(j)]", b, "ideal_current", [el], current: b * iu, realized: b)
            } else if b < 0 {
                let k4 = Double(Technology.biasCopyFingers)
                line("\(el) vdd_bias nb_\(L)_\(j) dc \(NumberText.spice(scaled(el, -b * iu / k4)))")
                line("xnb_\(L)_\(j) \(n) nb_\(L)_\(j) bmru_nbias")
                param("\(l.name).bias[\(j)]", b, "ideal_current_mirrored", [el, "xnb_\(L)_\(j)"], current: -b * iu, realized: b,
                      note: "reference |b|*I/\(Technology.biasCopyFingers) from vdd_bias, \(Technology.biasCopyFingers)-finger copy sinks |b|*I")
            } else {
                param("\(l.name).bias[\(j)]", b, "none", [], realized: 0, note: "zero bias: no source")
            }
            let o = "o_\(L)_\(j)"
            if l.kind == .bmru {
                let c = "c_\(L)_\(j)"
                line("vc_\(L)_\(j) \(n) \(c) 0")
                line("xdc_\(L)_\(j) \(c) bmru_ndiode")
                probe("i(vc_\(L)_\(j))", "candidate_current", L, j)
                let lo = l.thetaLow![j], hi = l.thetaHigh![j], lv = l.level![j]
                let k4 = Double(Technology.biasCopyFingers)
                let cr = cellRealization(thetaLow: lo, thetaHigh: hi, level: lv)
                let ith = "ith_\(L)_\(j)", iwd = "iwd_\(L)_\(j)", ilv = "ilv_\(L)_\(j)"
                line("\(ith) rth_\(L)_\(j) 0 dc \(NumberText.spice(scaled(ith, cr.thetaHighBias * iu / k4)))")
                line("\(iwd) vdd_bias rwd_\(L)_\(j) dc \(NumberText.spice(scaled(iwd, cr.widthBias * iu / k4)))")
                line("\(ilv) rlv_\(L)_\(j) 0 dc \(NumberText.spice(scaled(ilv, cr.levelBias * iu / k4)))")
                line("xcell_\(L)_\(j) \(sup) vdd_bias \(c) x_\(L)_\(j) s_\(L)_\(j) y_\(L)_\(j) bias_cn bias_sp rth_\(L)_\(j) rwd_\(L)_\(j) rlv_\(L)_\(j) bmru_cell")
                line("vo_\(L)_\(j) y_\(L)_\(j) \(o) 0")
                line("xd_\(L)_\(j) \(o) bmru_ndiode")
                probe("v(s_\(L)_\(j))", "state", L, j)
                probe("v(x_\(L)_\(j))", "comparison_node", L, j)
                probe("i(vo_\(L)_\(j))", "output_current", L, j)
                let refNote = "reference carries 1/\(Technology.biasCopyFingers) from vdd_bias, \(Technology.biasCopyFingers)-finger copy"
                param("\(l.name).theta_low[\(j)]", lo, "ideal_current_mirrored", [iwd, xcellName(L, j)], current: cr.widthBias * iu,
                      realized: cr.thetaLow, note: "realised as the hysteresis width theta_high - theta_low sunk from x while s = 1; " + refNote)
                param("\(l.name).theta_high[\(j)]", hi, "ideal_current_mirrored", [ith, xcellName(L, j)], current: cr.thetaHighBias * iu,
                      realized: cr.thetaHigh, note: "sourced into x; " + refNote)
                param("\(l.name).level[\(j)]", lv, "ideal_current_mirrored", [ilv, xcellName(L, j)], current: cr.levelBias * iu,
                      realized: cr.level, note: "switched to the output by s; " + refNote)
                let s0 = (l.initialState ?? [])[safe: j] ?? 0
                ics.append("v(s_\(L)_\(j))=\(s0 == 1 ? vdd : "0") v(x_\(L)_\(j))=\(s0 == 1 ? "0" : vdd)")
                param("\(l.name).initial_state[\(j)]", Double(s0), "initial_condition", [".ic v(s_\(L)_\(j))"],
                      realized: Double(s0))
            } else if let r = l.residual {
                let z = "z_\(L)_\(j)", q = "q_\(L)_\(j)", rr = "r_\(L)_\(j)"
                line("vz_\(L)_\(j) \(n) \(z) 0")
                line("xdz_\(L)_\(j) \(z) bmru_ndiode")
                probe("i(vz_\(L)_\(j))", "relu_current", L, j)
                copy("\(l.name).relu_copy[\(j)]", element: "xwz_\(L)_\(j)", node: q, gate: z)
                let rn = outNodes[r.lowercased()]![j]
                copy("\(l.name).residual[\(j)]", element: "xwr_\(L)_\(j)", node: q, gate: rn)
                line("xqm_\(L)_\(j) \(sup) \(q) \(rr) bias_cp bmru_pmirror")
                line("vo_\(L)_\(j) \(rr) \(o) 0")
                line("xd_\(L)_\(j) \(o) bmru_ndiode")
                probe("i(vo_\(L)_\(j))", "output_current", L, j)
            } else {
                line("vo_\(L)_\(j) \(n) \(o) 0")
                line("xd_\(L)_\(j) \(o) bmru_ndiode")
                probe("i(vo_\(L)_\(j))", "output_current", L, j)
            }
            outs.append(o)
        }
        return outs
    }

    func xcellName(_ L: String, _ j: Int) -> String { "xcell_\(L)_\(j)" }

    /// A unit-gain cascoded copy (residual, relu result) into a PMOS sum diode.
    mutating func copy(_ pname: String, element: String, node: String, gate: String) {
        let r = weightRealization(pname, 1, cascoded: true)   // nominal unless calibrated
        line("\(element) \(node) \(gate) bias_cn bmru_wc w=\(NumberText.micrometres(r.fingerWidth)) fingers=\(r.fingers)")
        param(pname, 1, "copy", [element], fingers: r.fingers, width: Double(NumberText.micrometres(r.fingerWidth).dropLast())!,
              realized: r.realizedMagnitude, note: "structural unit-gain copy (not a trained parameter)")
    }

    mutating func trailer() {
        line("* ---------------------------------------------------------------- initial states, saves, analysis")
        if !ics.isEmpty {
            for ic in ics { line(".ic \(ic)") }
        }
        var s = ".save"
        var n = 0
        for v in saves {
            if n == 8 { line(s); s = ".save"; n = 0 }
            s += " " + v; n += 1
        }
        line(s)
        switch options.analysis {
        case .transient:
            line(".tran \(NumberText.spice(network.framePeriod / Double(options.stepsPerFrame))) \(NumberText.spice(stopTime))")
        case .operatingPoint:
            line(".op")
        case let .dcSweep(src, a, b, st):
            line(".dc \(src) \(NumberText.spice(a)) \(NumberText.spice(b)) \(NumberText.spice(st))")
        }
        line("* standalone: `ngspice -b DECK.sp` runs the analysis above and writes the raw file")
        line(".control")
        line("run")
        line("write \(options.rawPath ?? "bmru.raw")")
        line("* without an explicit quit, ngspice -b leaves with status 1 after a control block")
        line("quit 0")
        line(".endc")
        line(".end")
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
