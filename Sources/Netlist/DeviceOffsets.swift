// Shared-sample mismatch: explicit per-device threshold-voltage offsets written into a deck as `delvto`
// instance parameters, drawn in Swift so that the circuit-aware model sees exactly the same sample.
//
// Every MOSFET `m<d>` of a cell-library subcircuit gets `delvto={dv_<d>}` and the subcircuit a parameter
// `dv_<d>=0`; each instance `x<i> … <subckt>` that has offsets (top level or inside a layer's subcircuit, which
// is instanced once) gets `dv_<d>=<volts>`. The deck is changed as typed cards (SpiceDeck). A device is named
// "<instance>.<d>" (lower case), e.g. "xw_pre_0_3.m1", "xcell_cell1_0.mthm".
//
// The draw: σ = A_VT / sqrt(W_eff·L_eff·m) with the PDK's effective sizes (W_eff = W + 0.1 µm,
// L_eff = L − 0.15 µm; m fingers in parallel average their offsets) and A_VT of the device type; the value is
// σ·N(0,1) from a generator seeded by sha256("<seed>:<device>"), so a device's offset does not depend on the
// order of emission, and model and deck compute it independently.
// ngspice 39's BSIM4 takes `delvto` as an instance parameter of the GF180MCU binned models (the PDK's own
// wrapper passes its mismatch draw the same way); `bmru calibrate` measures the current's sensitivity to it.

import BMRUModel
import Foundation

/// A shared mismatch sample: seed and the Pelgrom coefficients to draw with.
public struct MismatchSample: Sendable, Equatable {
    public var seed: UInt64
    /// V·µm, one device (σ of a single device's V_T times sqrt(W_eff·L_eff))
    public var nmosAVT: Double
    public var pmosAVT: Double
    public init(seed: UInt64, nmosAVT: Double, pmosAVT: Double) {
        self.seed = seed; self.nmosAVT = nmosAVT; self.pmosAVT = pmosAVT
    }

    /// σ of one device line, V.
    public func sigma(pmos: Bool, w: Double, l: Double, m: Double) -> Double {
        (pmos ? pmosAVT : nmosAVT) / ((w + 0.1) * (l - 0.15) * max(m, 1)).squareRoot()
    }

    /// The offset of `device` ("<instance>.<d>") with standard deviation `sigma`, V.
    public func offset(device: String, sigma: Double) -> Double {
        var g = SeededGenerator(seed: seed, label: device)
        return sigma * g.nextStandardNormal()
    }
}

public enum DeviceOffsets {
    /// One MOSFET of an emitted deck, with its resolved geometry (µm, finger count).
    public struct Device: Equatable, Sendable {
        public var name: String
        public var pmos: Bool
        public var w: Double
        public var l: Double
        public var m: Double
    }

    /// Subcircuit name -> its MOSFETs (the cell library's subcircuits; a layer subcircuit has none).
    static func mosfets(_ deck: SpiceDeck) -> [String: [SpiceElement]] {
        deck.subcircuits.mapValues { $0.elements.filter(\.isMOSFET) }.filter { !$0.value.isEmpty }
    }

    /// A number in µm from a SPICE value ("4u", "1.2e-06") or a number (fingers).
    static func number(_ s: String, micro: Bool) -> Double? {
        let v = s.lowercased()
        if v.hasSuffix("u"), let x = Double(v.dropLast()) { return micro ? x : x * 1e-6 }
        if let x = Double(v) { return micro ? x * 1e6 : x }
        return nil
    }

    /// Every MOSFET of the deck's cell instances (at the top level or inside a layer), with resolved geometry.
    public static func devices(in deck: SpiceDeck) -> [Device] {
        let subs = mosfets(deck), defs = deck.subcircuits
        var out: [Device] = []
        for x in deck.allElements where x.isInstance {
            guard let sk = x.model, let devs = subs[sk] else { continue }
            var params: [String: String] = [:]
            for p in defs[sk]?.parameters ?? [] { params[p.name] = p.value }
            for p in x.parameters { params[p.name] = p.value }
            for d in devs {
                func resolve(_ s: String?) -> String? {
                    guard let s else { return nil }
                    if s.hasPrefix("{") && s.hasSuffix("}") { return params[String(s.dropFirst().dropLast())] ?? s }
                    return s
                }
                guard let w = resolve(d.parameter("w")).flatMap({ number($0, micro: true) }),
                      let l = resolve(d.parameter("l")).flatMap({ number($0, micro: true) }),
                      let m = number(resolve(d.parameter("m")) ?? "1", micro: false) else { continue }
                out.append(Device(name: x.name + "." + d.name, pmos: d.model?.hasPrefix("p") == true, w: w, l: l, m: m))
            }
        }
        return out
    }

    /// Offsets of every device of the deck for a sample.
    public static func draw(_ sample: MismatchSample, deck: SpiceDeck) -> [String: Double] {
        var o: [String: Double] = [:]
        for d in devices(in: deck) {
            o[d.name] = sample.offset(device: d.name, sigma: sample.sigma(pmos: d.pmos, w: d.w, l: d.l, m: d.m))
        }
        return o
    }

    /// Offsets are written (and used by the model) rounded to 1 nV.
    public static func rounded(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }

    /// Gives every library MOSFET `delvto={dv_<d>}` (its subcircuit a parameter `dv_<d>=0`) and the instances the
    /// given offsets (V, "<instance>.<d>" -> value).
    public static func apply(to deck: inout SpiceDeck, offsets: [String: Double]) {
        var byInstance: [String: [(String, Double)]] = [:]
        for (k, v) in offsets {
            let p = k.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2 else { continue }
            byInstance[p[0], default: []].append((p[1], v))
        }
        let subs = mosfets(deck)
        deck.mapSubcircuits { s in
            guard let devs = subs[s.name] else { return s }
            var s = s
            s.parameters += devs.map { SpiceParameter("dv_\($0.name)", "0") }
            s.cards = s.cards.map { c in
                guard case var .element(e) = c, e.isMOSFET else { return c }
                e.parameters.append(SpiceParameter("delvto", "{dv_\(e.name)}"))
                return .element(e)
            }
            return s
        }
        deck.mapElements { e in
            guard e.isInstance, let list = byInstance[e.name] else { return e }
            var e = e
            e.parameters += list.sorted { $0.0 < $1.0 }.map { SpiceParameter("dv_\($0.0)", NumberText.spice(rounded($0.1))) }
            return e
        }
    }
}
