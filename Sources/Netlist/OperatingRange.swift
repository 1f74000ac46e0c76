// The range of network parameters the emitted circuit is built for: hard limits (nothing sane can be
// built beyond them: an error) and the characterised range (the circuit is built, but its accuracy was
// never measured there: a warning). Every bound of this kind lives here.

import BMRUModel
import Foundation

/// One parameter outside the operating range.
public struct RangeFinding: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case warning, error }
    public var severity: Severity
    /// the field of the network file (`unit_current`, `layers[1].weights[0][3]`) or of the stimulus
    /// (`stimulus.frames[4][0]`, frame and input indices from 0)
    public var field: String
    public var reason: String
    public var isStimulus: Bool { field.hasPrefix("stimulus") }
    public var description: String { "\(field): \(reason)" }
}

/// Where the GF180MCU subthreshold cell library works (see README, "Operating range").
///
/// Numbers come from the calibration grid (models/calibration/typical.json, written by `bmru calibrate`,
/// see CalibrationBench) and from `Technology`; the typical corner's values are used (the corners' mirror and
/// cell factors agree within 4 %; the leakage floor is 15 × higher at ff, 4 × lower at ss).
public struct OperatingRange: Sendable, Equatable {
    // MARK: hard limits (errors)

    /// Smallest unit current, A. The leakage floor of a relu output with zero input is 1.3e-13 A
    /// (`mirror.leakageA`); below 1e-11 A it exceeds 1 % of a unit, and 0.01 units (the finest currents the
    /// networks use) drop to 100 fA, within 100 × the simulator's abstol (1e-15 A).
    public var minUnitCurrent = 1e-11
    /// Largest current of any one source or device, A (unit current, bias, threshold and level currents,
    /// input currents). The unit devices (W 4 / L 2 µm, 3.3 V) are in weak inversion to ~10 nA
    /// (V_GS ≈ 0.51 V at 10 nA, `Technology.nmos`); at 1 µA they are in strong inversion, where the width
    /// ratios no longer set the current ratios and the cascoded sinks lose their headroom at 1.8 V.
    public var maxCurrent = 1e-6
    /// Most fingers of one weight device. One finger of at most 8 µm drawn (7.918 µm effective) against the
    /// 2-finger reference (7.836 µm effective) realises |w| ≤ 1.0105, so m = ⌈0.9896·|w|⌉ and 256 fingers
    /// reach |w| ≈ 258. Each finger puts ~40 fF of gate on its input's diode node; 256 fingers are ~10 pF,
    /// 128 × the reference's own gate, so that node settles 128 × slower than characterised.
    public var maxFingers = 256
    /// Shortest frame, in settling time constants of the unit current: a unit step settles to e^-5 = 0.7 %;
    /// with fewer, no input settles within a frame and the frame-end samples are transients.
    public var minFrameTimeConstants = 5.0
    /// Longest frame, s: 10^4 × the 10 ms frames of the shipped networks; the deck's stop time (frames × T)
    /// and its time step (T / 4) must stay sane for ngspice.
    public var maxFramePeriod = 100.0

    // MARK: characterised range (warnings)

    /// Unit currents of the cell grid (`cells[].unitCurrentA`: 0.1, 0.3, 1, 3 nA); the mirror grid
    /// (`mirror.currentsA`) covers 0.05 ... 4 nA. Outside, the tables are clamped to their edge.
    public var characterisedUnitCurrent: ClosedRange<Double> = 1e-10...3e-9
    /// Largest |w|: 4 units (4 fingers). The mirror grid measured single fingers (|w| ≤ 1 each) and a weight of m
    /// fingers is taken to have the factor of one of its fingers; the largest multi-finger device measured
    /// is the leakage bench's 4 fingers of 7.92 µm.
    public var characterisedWeight = 4.0
    /// Largest |bias|, θ_high and level, units: the top of the cell grid (thetaHighBias, levelBias ≤ 4) and
    /// of the mirror grid (4 nA at the 1 nA unit current).
    public var characterisedCurrentUnits = 4.0
    /// Largest hysteresis width θ_high − θ_low, units: the top of the cell grid's widthBias (2 units).
    public var characterisedWidth = 2.0
    /// Shortest frame, in settling time constants of the unit current: a 0.05-unit input (the smallest
    /// current ratio of the mirror grid, 0.05 nA against 1 nA) settles 20 × slower, so it still gets 5 of
    /// its own time constants.
    public var characterisedFrameTimeConstants = 100.0
    /// Longest frame, s: the benches ran frames of a few ms; beyond 1 s nothing was simulated.
    public var characterisedMaxFramePeriod = 1.0

    /// Settling charge τ·I, A·s: the 63 % time constant of a mirror after a current step is ≈ this / I. From
    /// the settling table: τ = 116 µs at 0.1 nA, 25 µs at 0.5 nA, 13.4 µs at 1 nA, 4.6 µs at 4 nA (τ·I =
    /// 1.16e-14 ... 1.8e-14; the larger value at high currents is the fixed wiring and junction capacitance).
    public var settlingCharge = 1.2e-14

    public init() {}

    /// The range of the GF180MCU cell library as emitted by this generator.
    public static let gf180mcu = OperatingRange()

    /// Mirror settling time constant at `current` A.
    public func settlingTime(current: Double) -> Double { settlingCharge / current }

    /// Fingers the nominal sizing gives |w| (`WeightRealization.fingers`), as a Double so that no value traps.
    public static func fingerCount(_ w: Double) -> Double {
        let ref = Double(Technology.referenceFingers) * (Technology.unitWidth - Technology.deltaWidth)
        return max(1, (abs(w) * ref / (Technology.maxFingerWidth - Technology.deltaWidth)).rounded(.up))
    }

    /// Every parameter of `network` (and `stimulus`) outside the range: errors first, then warnings, each
    /// kind at most `limit` entries. Values that are not finite are left to the format's validation.
    public func check(_ network: Network, stimulus: Stimulus? = nil, limit: Int = 50) -> [RangeFinding] {
        var errors: [RangeFinding] = [], warnings: [RangeFinding] = []
        func error(_ f: String, _ r: String) { if errors.count < limit { errors.append(RangeFinding(severity: .error, field: f, reason: r)) } }
        func warn(_ f: String, _ r: String) { if warnings.count < limit { warnings.append(RangeFinding(severity: .warning, field: f, reason: r)) } }
        func amps(_ x: Double) -> String { NumberText.spice(x) + " A" }
        let iu = network.unitCurrent
        if iu.isFinite {
            if !(iu >= minUnitCurrent && iu <= maxCurrent) {
                error("unit_current", "is \(amps(iu)), outside the range the circuit can be built for, [\(amps(minUnitCurrent)), \(amps(maxCurrent))]")
            } else if !characterisedUnitCurrent.contains(iu) {
                warn("unit_current", "is \(amps(iu)), outside the characterised range [\(amps(characterisedUnitCurrent.lowerBound)), \(amps(characterisedUnitCurrent.upperBound))] (calibration grid)")
            }
        }
        let T = network.framePeriod
        if T.isFinite, T > 0, iu.isFinite, iu >= minUnitCurrent, iu <= maxCurrent {
            let tau = settlingTime(current: iu)
            let hardMin = minFrameTimeConstants * tau, charMin = characterisedFrameTimeConstants * tau
            if T < hardMin {
                error("frame_period", "is \(NumberText.spice(T)) s, shorter than \(NumberText.spice(minFrameTimeConstants)) settling time constants (\(NumberText.spice(hardMin)) s at \(amps(iu)); τ ≈ \(NumberText.spice(settlingCharge)) A·s / I)")
            } else if T > maxFramePeriod {
                error("frame_period", "is \(NumberText.spice(T)) s, longer than the limit of \(NumberText.spice(maxFramePeriod)) s")
            } else if T < charMin {
                warn("frame_period", "is \(NumberText.spice(T)) s, shorter than the characterised \(NumberText.spice(characterisedFrameTimeConstants)) settling time constants (\(NumberText.spice(charMin)) s at \(amps(iu)))")
            } else if T > characterisedMaxFramePeriod {
                warn("frame_period", "is \(NumberText.spice(T)) s, longer than the characterised \(NumberText.spice(characterisedMaxFramePeriod)) s")
            }
        }
        // currents and settling are judged at a unit current that can be built
        let iuOK = iu.isFinite && iu >= minUnitCurrent && iu <= maxCurrent
        // the limit itself is allowed: 1000 units × 1 nA is 1.0000000000000002e-6 A in floating point
        let currentLimit = maxCurrent * (1 + 1e-9)
        func current(_ f: String, _ x: Double, what: String, characterised: Double) {
            guard x.isFinite else { return }
            if iuOK, abs(x) * iu > currentLimit {
                error(f, "is \(NumberText.spice(x)) units = \(amps(abs(x) * iu)) of \(what), more than the limit of \(amps(maxCurrent))")
            } else if abs(x) > characterised {
                warn(f, "is \(NumberText.spice(x)) units of \(what), outside the characterised ±\(NumberText.spice(characterised)) units (calibration grid)")
            }
        }
        for (k, l) in network.layers.enumerated() {
            let p = "layers[\(k)]"
            for (r, row) in l.weights.enumerated() {
                for (c, w) in row.enumerated() where w.isFinite && abs(w) > characterisedWeight {
                    let m = Self.fingerCount(w)
                    if m > Double(maxFingers) {
                        error("\(p).weights[\(r)][\(c)]", "is \(NumberText.spice(w)): \(m < 1e15 ? String(Int64(m)) : NumberText.spice(m)) fingers, more than the limit of \(maxFingers) fingers per weight")
                    } else {
                        warn("\(p).weights[\(r)][\(c)]", "is \(NumberText.spice(w)): \(Int64(m)) fingers, outside the characterised |w| ≤ \(NumberText.spice(characterisedWeight))")
                    }
                }
            }
            for (j, b) in l.bias.enumerated() { current("\(p).bias[\(j)]", b, what: "bias", characterised: characterisedCurrentUnits) }
            if l.kind == .bmru {
                for (j, h) in (l.thetaHigh ?? []).enumerated() {
                    current("\(p).theta_high[\(j)]", h, what: "threshold", characterised: characterisedCurrentUnits)
                    if let lo = l.thetaLow, j < lo.count, lo[j].isFinite, h.isFinite, h - lo[j] > characterisedWidth,
                       !(iuOK && abs(h) * iu > currentLimit) {
                        warn("\(p).theta_low[\(j)]", "hysteresis width θ_high − θ_low = \(NumberText.spice(h - lo[j])) units, outside the characterised \(NumberText.spice(characterisedWidth)) units")
                    }
                }
                for (j, v) in (l.level ?? []).enumerated() { current("\(p).level[\(j)]", v, what: "level", characterised: characterisedCurrentUnits) }
            }
        }
        if let s = stimulus, iuOK {
            outer: for (t, row) in s.frames.enumerated() {
                for (i, x) in row.enumerated() where x.isFinite && x * iu > currentLimit {
                    error("stimulus.frames[\(t)][\(i)]", "is \(NumberText.spice(x)) units = \(amps(x * iu)) of input, more than the limit of \(amps(maxCurrent))")
                    if errors.count >= limit { break outer }
                }
            }
        }
        return errors + warnings
    }
}
