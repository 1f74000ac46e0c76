// GF180MCU technology facts the emitter sizes devices with.
//
// Every number here was measured with ngspice 39.3 on the GF180MCU `typical` models (27 °C, VDD 1.8 V,
// `sw_stat_global = sw_stat_mismatch = 0`) while designing the cells; the reasons are given beside each.

import Foundation

/// Process corner: selects the `.lib` section of sm141064.ngspice.
public enum Corner: String, CaseIterable, Codable, Sendable {
    case typical, ff, ss, fs, sf
}

/// Device choices and unit sizes of the subthreshold cell library.
public enum Technology {
    /// 3.3 V thick-oxide devices: at VDD 1.8 V and nA currents they sit deep in weak inversion
    /// (V_GS ≈ 0.25 V at 10 pA, 0.42 V at 1 nA, 0.51 V at 10 nA for W 4 µm / L 2 µm), so every mirror
    /// node keeps well away from the rails and the thin-oxide devices' gate leakage is avoided.
    public static let nmos = "nmos_3p3"
    public static let pmos = "pmos_3p3"

    /// Unit NMOS finger: W 4 µm, L 2 µm. L 2 µm keeps drain-induced barrier lowering to about 6 %/V of
    /// V_DS (measured) while the gate area (8 µm², ~40 fF) still lets a node settle within a frame at
    /// tens of pA. W 4 µm lies in the middle of the model bin 1.2–10 µm, so that width ratios are taken
    /// inside one bin (a ratio that crosses a bin boundary showed +28 % / −6 % errors).
    public static let unitWidth = 4.0        // µm
    public static let unitLength = 2.0       // µm
    /// Reference (diode) devices are this many unit fingers: weight 1 = 8 µm of effective width, so a
    /// weight of 0.15 still fits one main-bin finger of 1.2 µm (smaller ones: see `narrowBin`).
    public static let referenceFingers = 2
    /// Effective width lost per finger (narrow-width effect, W_eff = W − δW). Fitted to the gain of one
    /// finger against the W 4 µm reference over 1.2–10 µm at L 2 µm (residual < 0.5 %): 0.082 µm.
    /// Weight fingers are drawn as W = w·R·(W_u − δW)/m + δW so that effective widths are in ratio w.
    public static let deltaWidth = 0.082     // µm
    /// Finger widths are kept inside the model bin [1.2, 10) µm, with headroom at the top.
    public static let minFingerWidth = 1.2   // µm
    public static let maxFingerWidth = 8.0   // µm
    /// Layout grid of GF180MCU: 5 nm.
    public static let grid = 0.005           // µm

    /// PMOS mirrors (sum mirrors, threshold and level sources): W 4 µm, L 4 µm. The longer channel
    /// halves DIBL; these mirrors are 1:1 (sums) or 1:4 of identical fingers (bias copies), so no width
    /// correction is needed. Measured: +1.3 % gain with the copy's drain at 0.4 V and the diode at
    /// V_SG ≈ 0.6 V.
    public static let pmosWidth = 4.0
    public static let pmosLength = 4.0
    /// Bias copies (threshold, width, level) are `biasCopyFingers` identical fingers fed from a
    /// one-finger reference carrying 1/4 of the current: identical fingers make the ratio exact and the
    /// reference costs a quarter of the power.
    public static let biasCopyFingers = 4

    /// Smallest |weight| realisable with one finger in the main bin (≈ 0.143); smaller weights use the
    /// narrow bin down to `smallestWeight`.
    public static var minimumWeight: Double {
        (minFingerWidth - deltaWidth) / (Double(referenceFingers) * (unitWidth - deltaWidth))
    }

    /// Weights below the main bin use one finger from the next model bin, W 0.5-1.2 µm, where the
    /// narrow-width effect is strong and not linear: measured gain of one L 2 µm finger against the
    /// 2-finger reference (typical, 1 nA, drains at equal voltage; 0.1 nA and the ff/ss corners agree
    /// within 1.3 %). Sized by inverting this table; narrower fingers (bin 0.22-0.5 µm) are not used
    /// because their gain is not even monotonic in W.
    public static let narrowBin: [(width: Double, weight: Double)] = [
        (0.5, 0.0793), (0.6, 0.0874), (0.7, 0.0960), (0.8, 0.1049), (0.9, 0.1140),
        (1.0, 0.1232), (1.1, 0.1325), (1.195, 0.1414),
    ]

    /// Smallest realisable |weight| (one 0.5 µm finger, ≈ 0.079).
    public static var smallestWeight: Double { narrowBin[0].weight }

    /// The simulator options of every deck, and why.
    /// - abstol 1e-15 A: currents of interest go down to ~1 pA (0.01 units at 0.1 nA); the default
    ///   1e-12 would accept errors as large as the signal.
    /// - chgtol 1e-16 C: the charge error allowed per step; over a 2.5 ms step that is 0.04 fA, while
    ///   1e-18 only added time steps (the default 1e-14 would allow pA-sized errors).
    /// - gmin 1e-15 S: the default 1e-12 S puts 1 pA per volt across every junction.
    /// - reltol 3e-3: currents to 0.3 %, well inside the 5 % targets; against 1e-3 it cut Newton
    ///   iterations by ~35 % on a 13-4-[4+4]x2-2 network, with the same 160/160 states over 20 frames.
    /// - method=gear: trapezoidal integration left a persistent false capacitor current (a level of
    ///   0.23 nA instead of 1 nA for a whole frame) after each switching event; Gear-2 damps it.
    /// - trtol 20: looser truncation-error control (default 7) cut time points by ~40 %; states and
    ///   currents are read at frame ends, long after the edges, and still agreed with the model.
    /// The time step is frame/4 (ngspice also caps its internal step at it): inputs are piecewise
    /// constant, so steps only need to be short around edges and switching events.
    public static let simulatorOptions: [(String, String)] = [
        ("method", "gear"), ("reltol", "3e-3"), ("abstol", "1e-15"), ("chgtol", "1e-16"), ("gmin", "1e-15"), ("trtol", "20"),
    ]
    /// `simulatorOptions` as the deck's card reads (recorded in the mapping).
    public static var options: String { ".options " + simulatorOptions.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
}

/// How one weight is realised as fingers of the unit NMOS.
public struct WeightRealization: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// realised by `fingers` fingers of `fingerWidth` µm
        case fingers
        /// exactly zero: no device
        case zero
        /// one finger of the narrow bin (0.5-1.2 µm), sized from the measured table
        case narrowFinger = "narrow_finger"
        /// |w| below half the smallest realisable weight: no device, realised value 0
        case belowMinimumDropped = "below_minimum_dropped"
        /// |w| below the smallest realisable weight but at least half of it: one minimum finger
        case belowMinimumRounded = "below_minimum_rounded"
    }
    public var kind: Kind
    public var fingers: Int
    /// µm, on the 5 nm grid (0 when no device)
    public var fingerWidth: Double
    /// the weight magnitude the drawn geometry realises under the δW model
    public var realizedMagnitude: Double

    /// Sizes |w| (sign handled by the caller).
    public static func realize(_ w: Double) -> WeightRealization {
        let a = abs(w)
        if a == 0 { return WeightRealization(kind: .zero, fingers: 0, fingerWidth: 0, realizedMagnitude: 0) }
        let wmin = Technology.smallestWeight
        if a < wmin {
            if a < wmin / 2 {
                return WeightRealization(kind: .belowMinimumDropped, fingers: 0, fingerWidth: 0, realizedMagnitude: 0)
            }
            let t = Technology.narrowBin[0]
            return WeightRealization(kind: .belowMinimumRounded, fingers: 1, fingerWidth: t.width, realizedMagnitude: t.weight)
        }
        if a < Technology.minimumWeight { return narrow(a) }
        return fingers(for: a)
    }

    /// One finger in the narrow bin: invert the measured table (piecewise linear), snap to the grid.
    static func narrow(_ a: Double) -> WeightRealization {
        let t = Technology.narrowBin
        func weight(ofWidth w: Double) -> Double {
            for k in 1..<t.count where w <= t[k].width {
                let f = (w - t[k - 1].width) / (t[k].width - t[k - 1].width)
                return t[k - 1].weight + f * (t[k].weight - t[k - 1].weight)
            }
            return t[t.count - 1].weight
        }
        var w = t[t.count - 1].width
        for k in 1..<t.count where a <= t[k].weight {
            let f = (a - t[k - 1].weight) / (t[k].weight - t[k - 1].weight)
            w = t[k - 1].width + f * (t[k].width - t[k - 1].width)
            break
        }
        w = min(max((w / Technology.grid).rounded() * Technology.grid, t[0].width), t[t.count - 1].width)
        return WeightRealization(kind: .narrowFinger, fingers: 1, fingerWidth: w, realizedMagnitude: weight(ofWidth: w))
    }

    static func fingers(for a: Double) -> WeightRealization {
        let ref = Double(Technology.referenceFingers) * (Technology.unitWidth - Technology.deltaWidth)
        let effective = a * ref
        let perFingerMax = Technology.maxFingerWidth - Technology.deltaWidth
        // saturating: the finger count of an absurd weight is refused by `OperatingRange` before emission;
        // this only keeps the conversion from trapping (a weight ≥ ~1e19 overflowed Int)
        let m = max(1, min(Int(saturating: (effective / perFingerMax).rounded(.up)), 1 << 40))
        var wf = effective / Double(m) + Technology.deltaWidth
        wf = (wf / Technology.grid).rounded() * Technology.grid
        wf = max(wf, Technology.minFingerWidth)
        let realized = Double(m) * (wf - Technology.deltaWidth) / ref
        return WeightRealization(kind: .fingers, fingers: m, fingerWidth: wf, realizedMagnitude: realized)
    }
}
