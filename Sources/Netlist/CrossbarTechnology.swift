// Physical constants of the resistive-crossbar architecture (arXiv 2411.18271): rows driven at a read
// voltage around a common mode, memristor conductances, the integrators at the column feet, and the
// clock of the ramp ADC that computes the activation.
//
// Memristors are stood for by ideal resistors at their programmed conductance; the integrator op-amps are
// behavioural (a high-gain VCVS); the comparators and the counter's gating logic are GF180MCU transistors.

import Foundation

/// A problem with a crossbar setting or a ramp program: the field and why.
public struct CrossbarError: Error, CustomStringConvertible, Sendable, Equatable {
    public var field: String
    public var reason: String
    public init(field: String, reason: String) { self.field = field; self.reason = reason }
    public var description: String { "\(field): \(reason)" }
}

/// The constants of a crossbar column and its ramp ADC. All values SI (V, S, F, s, A).
public struct CrossbarTechnology: Sendable, Equatable, Codable {
    /// GF180MCU 3.3 V devices (nmos_3p3 / pmos_3p3) at their nominal supply: the comparator's NMOS input
    /// pair needs about 1.1 V of common mode and its PMOS load about 1 V of headroom, which 3.3 V leaves
    /// around the common mode below.
    public var vdd: Double = 3.3
    /// Virtual ground of every integrator and rest level of every row: mid-supply, so the column outputs can
    /// swing symmetrically.
    public var commonMode: Double = 1.65
    /// Row read amplitude: an input u in [-1, 1] drives its + row at V_cm + V_read·u and its − row at
    /// V_cm − V_read·u. 0.2 V is a typical non-disturbing read voltage for RRAM-like devices.
    public var readVoltage: Double = 0.2
    /// Programmable conductance range of one memristor (a 100:1 on/off window).
    public var gMin: Double = 1e-6
    public var gMax: Double = 100e-6
    /// Integration capacitor of every column and of the ramp column. With a full-scale input (u = 1) on a
    /// weight of 1 (G⁺ = g_max, G⁻ = g_min) the column moves by (g_max − g_min)·V_read·T_int / C_int =
    /// 99 µS · 0.2 V · 400 ns / 16 pF ≈ 0.50 V: the outputs stay within V_cm ± 0.5 V = [1.15, 2.15] V,
    /// inside the comparator's input range.
    public var integrationCapacitance: Double = 16e-12
    /// How long the input rows are driven in each conversion.
    public var integrationTime: Double = 400e-9
    /// Ramp clock: in each period one ramp row is pulsed for `rampPulseTime`, then the ramp holds for
    /// `rampHoldTime` while the counter may count. T_int / T_pulse = 4 sets the conductance a ramp step needs:
    /// a step of Δx (in input-scale units) needs G = (g_max − g_min)·(T_int/T_pulse)·Δx, which keeps the
    /// 5-bit tanh and sigmoid steps (0.021 ... 0.17 of full scale) between g_min and g_max.
    public var rampPulseTime: Double = 100e-9
    /// Hold phase: long enough for the comparator to settle to a few mV of overdrive (tens of ns measured).
    public var rampHoldTime: Double = 100e-9
    /// The counter's enable opens this long after the ramp pulse has ended: the comparator decides in the first
    /// half of the hold and the counter counts in the second, so a slow decision near a threshold costs a
    /// fraction of a count less often.
    public var countDelay: Double = 50e-9
    /// Integrator and counter reset at the start of a conversion (reset switch: ~0.5 kΩ into 16 pF, τ ≈ 8 ns).
    public var resetTime: Double = 200e-9
    /// Pause between integration and the first ramp pulse.
    public var settleTime: Double = 50e-9
    /// Rise and fall time of every row pulse and clock edge. The pulses are trapezoids whose area is exactly
    /// amplitude × nominal width, so edges do not change the integrated charge.
    public var edgeTime: Double = 2e-9
    /// Behavioural integrator op-amp: one pole, a transconductance into a resistor and a capacitor (an ideal
    /// VCVS with the MOSFET reset switch in its loop made ngspice 39 stop with "timestep too small").
    /// DC gain 1e4: the virtual ground moves by at most 0.5 V / 1e4 = 50 µV, 0.025 % of V_read.
    /// 0.1 S keeps vg within 0.2 mV while the column carries its full 20 µA (a gain error common to the
    /// columns and the ramp). The load capacitor sets the unity-gain time constant C/g_m = 0.1 ns: while the
    /// output slews, vg lags by that time constant × the slew rate, and the ramp's offset step slews
    /// ~3 V/µs. With 100 pF (1 ns) the lag took 1.6 % off that step but only 0.6 % off the columns, which
    /// moved codes near thresholds; 10 pF (1.6 GHz unity gain) leaves 0.16 %.
    public var opampGain: Double = 1e4
    public var opampTransconductance: Double = 0.1
    public var opampLoadCapacitance: Double = 10e-12
    /// Comparator tail current (each input device carries half). 100 µA: at 20 µA the first stage slewed at
    /// ~25 V/µs and the comparator took 60 ns to flip on 18 mV, over half the hold phase.
    public var comparatorBias: Double = 100e-6
    /// Counter: counting capacitor and its voltage after the last count (2^B − 1 counts); the gated counting
    /// current is chosen so that full scale is reached. 2 V keeps the count inside the supply with margin.
    public var counterCapacitance: Double = 10e-12
    public var counterFullScale: Double = 2.0
    /// Most memristors one ramp step may use in parallel (a step larger than g_max needs several).
    public var maxParallelDevices: Int = 8

    public init() {}

    /// The GF180MCU default.
    public static let gf180mcu = CrossbarTechnology()

    /// Differential weight of +1: the current difference per volt of input.
    public var unitWeightConductance: Double { gMax - gMin }
    /// One ramp clock period.
    public var clockPeriod: Double { rampPulseTime + rampHoldTime }

    /// Problems first: every value finite and in a range where the circuit makes sense.
    public func validate() throws(CrossbarError) {
        func need(_ ok: Bool, _ field: String, _ reason: String) throws(CrossbarError) {
            if !ok { throw CrossbarError(field: field, reason: reason) }
        }
        let values: [(String, Double)] = [
            ("vdd", vdd), ("common_mode", commonMode), ("read_voltage", readVoltage), ("g_min", gMin), ("g_max", gMax),
            ("integration_capacitance", integrationCapacitance), ("integration_time", integrationTime),
            ("ramp_pulse_time", rampPulseTime), ("ramp_hold_time", rampHoldTime), ("reset_time", resetTime),
            ("settle_time", settleTime), ("count_delay", countDelay), ("edge_time", edgeTime), ("opamp_gain", opampGain),
            ("opamp_transconductance", opampTransconductance), ("opamp_load_capacitance", opampLoadCapacitance),
            ("comparator_bias", comparatorBias), ("counter_capacitance", counterCapacitance),
            ("counter_full_scale", counterFullScale),
        ]
        for (f, v) in values { try need(v.isFinite && v > 0, f, "must be a finite number > 0 (is \(v))") }
        try need(vdd <= 5, "vdd", "must be at most 5 V for the 3.3 V devices (is \(vdd))")
        try need(commonMode < vdd, "common_mode", "must lie below vdd (is \(commonMode))")
        try need(gMax > gMin, "g_max", "must exceed g_min (\(gMax) ≤ \(gMin))")
        try need(readVoltage < commonMode && commonMode + readVoltage < vdd, "read_voltage", "rows must stay inside the supply")
        try need(counterFullScale < vdd, "counter_full_scale", "must stay below vdd")
        try need(countDelay + 6 * edgeTime < rampHoldTime, "count_delay", "must leave a count window inside the hold phase")
        try need(edgeTime * 4 < min(rampPulseTime, rampHoldTime, integrationTime, resetTime), "edge_time",
                 "must be well below every phase (a quarter of the shortest)")
        try need((1...64).contains(maxParallelDevices), "max_parallel_devices", "must be in 1...64")
    }
}
