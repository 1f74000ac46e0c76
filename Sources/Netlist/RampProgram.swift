// The conductances of the ramp column that make a staircase ramp step through a RampADC's thresholds.
//
// Input x maps to the row drive u = x / inputScale; a weight-1 column then integrates to
// V_cm − (g_max − g_min)·V_read·T_int·u / C_int. A ramp device G pulsed at V_cm ± V_read for T_pulse moves the
// ramp integrator by ∓G·V_read·T_pulse / C_int, the column change of an input step of
// Δx = ±G·T_pulse·inputScale / ((g_max − g_min)·T_int). The ramp starts at V_cm (x = 0): an offset step
// (signed; several devices in parallel when large) moves it to threshold 1, then step k moves it from
// threshold k to k + 1 (always in the direction of growing x).

import BMRUModel
import Foundation

/// One step of the ramp: `devices` memristors in parallel, each at `conductance`, on one row pulsed at
/// V_cm + sign·V_read.
public struct RampStep: Sendable, Equatable, Codable {
    /// S, per device
    public var conductance: Double
    /// parallel devices (0: no step, the offset of a ramp whose first threshold is x = 0)
    public var devices: Int
    /// +1: the row pulses up (the ramp moves toward larger x); −1: down (only the offset)
    public var sign: Int
    /// total conductance, S
    public var total: Double { conductance * Double(devices) }
}

/// The programmed ramp column of a RampADC.
public struct RampProgram: Sendable, Equatable {
    public let adc: RampADC
    public let technology: CrossbarTechnology
    /// the input that drives the rows at full read voltage (u = 1)
    public let inputScale: Double
    /// conductance levels the devices were rounded to (nil: continuous)
    public let quantizationLevels: Int?
    /// steps[0]: the offset from x = 0 to threshold 1; steps[k]: from threshold k to threshold k + 1
    public let steps: [RampStep]
    /// The thresholds the programmed (possibly quantised) conductances realise, ascending as the ramp meets them.
    public let realisedThresholds: [Double]

    /// sign of the offset step (+1 when threshold 1 is at or above 0)
    public var offsetSign: Int { steps[0].sign }
    /// parallel devices of the offset step
    public var offsetDevices: Int { steps[0].devices }

    /// Conductance per unit of x for a pulse of T_pulse: G(Δx) = Δx · conductancePerInput.
    public var conductancePerInput: Double {
        technology.unitWeightConductance * technology.integrationTime / (technology.rampPulseTime * inputScale)
    }

    /// The conductance levels of a quantised device: g_min + i·(g_max − g_min)/(levels − 1).
    public static func levels(_ n: Int, technology t: CrossbarTechnology) -> [Double] {
        (0..<n).map { t.gMin + Double($0) * (t.gMax - t.gMin) / Double(n - 1) }
    }

    /// - inputScale: nil = the larger magnitude of the range's ends (the whole range fits the rows).
    /// - quantizationLevels: round every device to one of this many levels between g_min and g_max (≥ 2).
    public init(adc: RampADC, technology: CrossbarTechnology = .gf180mcu, inputScale: Double? = nil,
                quantizationLevels: Int? = nil) throws(CrossbarError) {
        try technology.validate()
        let scale = inputScale ?? max(abs(adc.inputRange.lowerBound), abs(adc.inputRange.upperBound))
        guard scale.isFinite, scale > 0 else {
            throw CrossbarError(field: "input_scale", reason: "must be a finite number > 0 (is \(scale))")
        }
        guard abs(adc.inputRange.lowerBound) <= scale * (1 + 1e-12), abs(adc.inputRange.upperBound) <= scale * (1 + 1e-12) else {
            throw CrossbarError(field: "input_scale", reason: "\(scale) is smaller than the input range \(adc.inputRange): rows would exceed V_read")
        }
        if let q = quantizationLevels, !(2...1_000_000).contains(q) {
            throw CrossbarError(field: "quantization_levels", reason: "must be in 2...1000000 (is \(q))")
        }
        self.adc = adc; self.technology = technology; self.inputScale = scale; self.quantizationLevels = quantizationLevels
        let perInput = technology.unitWeightConductance * technology.integrationTime / (technology.rampPulseTime * scale)
        let th = adc.thresholds
        let deltas = [th[0]] + (1..<th.count).map { th[$0] - th[$0 - 1] }
        var steps: [RampStep] = []
        let levels = quantizationLevels.map { RampProgram.levels($0, technology: technology) }
        for (k, d) in deltas.enumerated() {
            let field = "steps[\(k)]"
            let what = k == 0 ? "offset to threshold 1 (x = \(th[0]))" : "step from threshold \(k) to \(k + 1) (Δx = \(d))"
            let g = abs(d) * perInput
            if g == 0 {
                if k == 0 { steps.append(RampStep(conductance: 0, devices: 0, sign: 1)); continue }
                throw CrossbarError(field: field, reason: "\(what) is zero: two thresholds coincide")
            }
            let n = Int((g / technology.gMax * (1 - 1e-12)).rounded(.up))
            guard n <= technology.maxParallelDevices else {
                throw CrossbarError(field: field, reason: "\(what) needs \(g) S, more than \(technology.maxParallelDevices) devices of g_max \(technology.gMax) S")
            }
            var each = g / Double(n)
            guard each >= technology.gMin * (1 - 1e-12) else {
                throw CrossbarError(field: field, reason: "\(what) needs \(each) S, below g_min \(technology.gMin) S (too fine a step for this range and resolution)")
            }
            each = min(max(each, technology.gMin), technology.gMax)
            if let levels { each = levels.min { abs($0 - each) < abs($1 - each) }! }
            steps.append(RampStep(conductance: each, devices: n, sign: d < 0 ? -1 : 1))
        }
        self.steps = steps
        var t = Double(steps[0].sign) * steps[0].total / perInput
        var realised = [t]
        for s in steps.dropFirst() {
            t += s.total / perInput
            realised.append(t)
        }
        realisedThresholds = realised
    }

    /// For a layer whose columns carry G_unit·V_read per unit of pre-activation (CrossbarMapping's
    /// `unitConductance`): the same program with input scale (g_max − g_min) / G_unit.
    public init(adc: RampADC, technology: CrossbarTechnology = .gf180mcu, unitConductance: Double,
                quantizationLevels: Int? = nil) throws(CrossbarError) {
        guard unitConductance.isFinite, unitConductance > 0 else {
            throw CrossbarError(field: "unit_conductance", reason: "must be a finite number > 0 (is \(unitConductance))")
        }
        try self.init(adc: adc, technology: technology, inputScale: technology.unitWeightConductance / unitConductance,
                      quantizationLevels: quantizationLevels)
    }

    /// The code of x against the realised ramp.
    public func code(_ x: Double) -> Int { RampADC.code(x, thresholds: realisedThresholds) }
}
