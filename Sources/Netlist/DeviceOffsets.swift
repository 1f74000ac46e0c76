// Shared-sample mismatch: explicit per-device threshold-voltage offsets written into a deck as `delvto`
// instance parameters, drawn in Swift so that the circuit-aware model sees exactly the same sample.
//
// Every MOSFET line `m<d>` of a cell-library subcircuit gets `delvto={dv_<d>}` and the subcircuit a parameter
// `dv_<d>=0`; each instance `x<i> … <subckt>` that has offsets gets `dv_<d>=<volts>`. A device is named
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
        let h = SHA256.digest(Data("\(seed):\(device)".utf8))
        var s: UInt64 = 0
        for b in h.prefix(8) { s = s << 8 | UInt64(b) }
        var g = SeededGenerator(seed: s)
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

    struct SubcktDevice { var name: String; var model: String; var w: String; var l: String; var m: String }

    /// Subcircuit name -> its MOSFET lines, parsed from the deck's library section.
    static func subcircuits(_ text: String) -> [String: [SubcktDevice]] {
        var out: [String: [SubcktDevice]] = [:]
        var current: String?
        for raw in text.split(separator: "\n") {
            let t = raw.split(separator: " ").map(String.init)
            guard let first = t.first?.lowercased() else { continue }
            if first == ".subckt", t.count >= 2 { current = t[1].lowercased(); out[current!] = []; continue }
            if first == ".ends" { current = nil; continue }
            guard let c = current, first.hasPrefix("m"), t.count >= 6 else { continue }
            var w = "", l = "", m = "1"
            for kv in t.dropFirst(6) {
                let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
                guard p.count == 2 else { continue }
                switch p[0] { case "w": w = p[1]; case "l": l = p[1]; case "m": m = p[1]; default: break }
            }
            out[c]!.append(SubcktDevice(name: first, model: t[5].lowercased(), w: w, l: l, m: m))
        }
        return out
    }

    /// A number in µm from a SPICE value ("4u", "1.2e-06") or a number (fingers).
    static func number(_ s: String, micro: Bool) -> Double? {
        let v = s.lowercased()
        if v.hasSuffix("u"), let x = Double(v.dropLast()) { return micro ? x : x * 1e-6 }
        if let x = Double(v) { return micro ? x * 1e6 : x }
        return nil
    }

    /// Every MOSFET of the deck's subcircuit instances (top-level `x` lines), with resolved geometry.
    public static func devices(in text: String) -> [Device] {
        let subs = subcircuits(text)
        var out: [Device] = []
        var inSub = false
        for raw in text.split(separator: "\n") {
            let t = raw.split(separator: " ").map(String.init)
            guard let first = t.first?.lowercased() else { continue }
            if first == ".subckt" { inSub = true; continue }
            if first == ".ends" { inSub = false; continue }
            guard !inSub, first.hasPrefix("x") else { continue }
            // subckt name: the last token without '='
            guard let sk = t.last(where: { !$0.contains("=") })?.lowercased(), let devs = subs[sk] else { continue }
            var params: [String: String] = [:]
            for kv in t where kv.contains("=") {
                let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
                if p.count == 2 { params[p[0].lowercased()] = p[1] }
            }
            for d in devs {
                func resolve(_ s: String) -> String {
                    if s.hasPrefix("{") && s.hasSuffix("}") { return params[String(s.dropFirst().dropLast())] ?? s }
                    return s
                }
                guard let w = number(resolve(d.w), micro: true), let l = number(resolve(d.l), micro: true),
                      let m = number(resolve(d.m), micro: false) else { continue }
                out.append(Device(name: first + "." + d.name, pmos: d.model.hasPrefix("p"), w: w, l: l, m: m))
            }
        }
        return out
    }

    /// Offsets of every device of the deck for a sample.
    public static func draw(_ sample: MismatchSample, text: String) -> [String: Double] {
        var o: [String: Double] = [:]
        for d in devices(in: text) {
            o[d.name] = sample.offset(device: d.name, sigma: sample.sigma(pmos: d.pmos, w: d.w, l: d.l, m: d.m))
        }
        return o
    }

    /// Offsets are written (and used by the model) rounded to 1 nV.
    public static func rounded(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }

    /// The deck with `delvto` parameters on every library MOSFET and the given offsets (V) on the instances.
    public static func apply(to text: String, offsets: [String: Double]) -> String {
        var byInstance: [String: [(String, Double)]] = [:]
        for (k, v) in offsets {
            let p = k.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2 else { continue }
            byInstance[p[0], default: []].append((p[1], v))
        }
        let subs = subcircuits(text)
        var out = ""
        out.reserveCapacity(text.utf8.count + offsets.count * 24)
        var inSub = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let t = line.split(separator: " ").map(String.init)
            let first = t.first?.lowercased() ?? ""
            if first == ".subckt", t.count >= 2, let devs = subs[t[1].lowercased()], !devs.isEmpty {
                inSub = true
                out += line + devs.map { " dv_\($0.name)=0" }.joined() + "\n"
                continue
            }
            if first == ".subckt" { inSub = true }
            if first == ".ends" { inSub = false }
            if inSub, first.hasPrefix("m"), t.count >= 6 {
                out += line + " delvto={dv_\(first)}\n"
                continue
            }
            if !inSub, first.hasPrefix("x"), let list = byInstance[first] {
                out += line + list.sorted { $0.0 < $1.0 }.map { " dv_\($0.0)=\(NumberText.spice(rounded($0.1)))" }.joined() + "\n"
                continue
            }
            out += line + "\n"
        }
        out.removeLast()   // the split's last piece got a newline the text does not have
        return out
    }
}
