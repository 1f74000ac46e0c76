// The activation bench: one crossbar column (a single weight of +1) and the ramp ADC at its foot convert a
// list of inputs in sequence. Each conversion resets the integrators and the counter, integrates the input,
// runs the programmed ramp for 2^B − 1 clock periods and leaves the count on the counter capacitor, where the
// bench reads it just before the next reset.

import BMRUModel
import Foundation
import Netlist

/// The codes the circuit produced for each input.
public struct ActivationConversion: Sendable, Equatable {
    /// simulated codes, one per input
    public var codes: [Int]
    /// counter voltage at each read, V
    public var counterVolts: [Double]
    /// counter voltage / count step (before rounding)
    public var rawCounts: [Double]
}

public enum ActivationBench {
    /// The bench deck: the column converts `inputs` (each within the program's input scale) in sequence.
    public static func deck(program p: RampProgram, inputs: [Double], options: DeckOptions) throws -> SpiceDeck {
        guard !inputs.isEmpty else { throw CrossbarError(field: "inputs", reason: "needs at least one input") }
        if let k = inputs.indices.first(where: { !(inputs[$0].isFinite && abs(inputs[$0]) <= p.inputScale * (1 + 1e-12)) }) {
            throw CrossbarError(field: "inputs[\(k)]", reason: "must be finite and within ±\(p.inputScale) (is \(inputs[k]))")
        }
        guard DeckEmitter.isSafePath(options.modelsDirectory) else {
            throw CrossbarError(field: "options.modelsDirectory", reason: "path is empty or contains quotes, control characters or shell characters")
        }
        let t = p.technology
        let n = NumberText.spice
        let bits = p.adc.bits
        let sched = ConversionSchedule(technology: t, bits: bits)
        var c: [SpiceCard] = []
        func note(_ s: String) { for l in s.split(separator: "\n", omittingEmptySubsequences: false) { c.append(.comment(String(l))) } }
        note("""
            AnalogBMRU crossbar ramp-ADC activation bench
            \(bits)-bit \(p.adc.function.name) over [\(n(p.adc.inputRange.lowerBound)), \(n(p.adc.inputRange.upperBound))], \(inputs.count) conversions of \(n(sched.conversionTime)) s
            corner \(options.corner.rawValue), VDD \(n(t.vdd)) V, temperature \(n(options.temperature)) C
            
            Constants (CrossbarTechnology): V_cm \(n(t.commonMode)) V, V_read \(n(t.readVoltage)) V, G \(n(t.gMin))...\(n(t.gMax)) S,
              C_int \(n(t.integrationCapacitance)) F, T_int \(n(t.integrationTime)) s, ramp pulse \(n(t.rampPulseTime)) s + hold \(n(t.rampHoldTime)) s,
              reset \(n(t.resetTime)) s, edges \(n(t.edgeTime)) s. A full-scale input on a weight of 1 moves the column by
              (g_max - g_min)*V_read*T_int/C_int = \(n(t.unitWeightConductance * t.readVoltage * t.integrationTime / t.integrationCapacitance)) V.
            Each conversion: rst high (integrators and counter reset); the input rows in_p/in_n are driven to
              V_cm +/- V_read*x/\(n(p.inputScale)) for T_int; then \(sched.periods) clock periods: row_k pulses (ramp moves to threshold
              k + 1) and holds; the comparator decides in the first \(n(t.countDelay)) s of the hold, then en is high and the
              counter counts one if the comparator says x >= threshold k + 1.
              The count is read at the end of the conversion: v(cnt) / \(n(CrossbarCells.countStep(t, bits: bits))) V.
            Probes: v(col) column output, v(ramp) ramp, v(cmp) comparator (high = x >= current threshold), v(cnt) counter.
            
            """)
        c += CrossbarCells.preamble(options)
        c.append(.comment(""))
        c += CrossbarCells.integrator(t)
        c.append(.comment(""))
        c += try CrossbarCells.column(name: "cb_column_bench", weights: [1], t)
        c.append(.comment(""))
        c += CrossbarCells.rampGenerator(name: "cb_ramp_bench", program: p)
        c.append(.comment(""))
        c += CrossbarCells.comparator(t)
        c.append(.comment(""))
        c += CrossbarCells.counter(t, bits: bits)
        note("\n---------------------------------------------------------------- supplies, bias, cells")
        c.append(.element(.source("vdd", ["vdd", "0"], .constant(t.vdd))))
        c.append(.element(.source("vcm", ["vcm", "0"], .constant(t.commonMode))))
        c += CrossbarCells.comparatorBias(t, vdd: "vdd", nb: "nb")
        c.append(.element(.instance("xcol", ["vcm", "rst", "col", "in_p_0", "in_n_0"], "cb_column_bench")))
        c.append(.element(.instance("xramp", ["vcm", "rst", "ramp"] + p.steps.indices.map { "row_\($0)" }, "cb_ramp_bench")))
        c.append(.element(.instance("xcmp", ["vdd", "ramp", "col", "nb", "cmp"], CrossbarCells.comparatorName)))
        c.append(.element(.instance("xcnt", ["vdd", "cmp", "en", "rst", "cnt"], CrossbarCells.counterName)))

        note("---------------------------------------------------------------- sequencer (clock phases and row pulses)")
        let e = t.edgeTime, vcm = t.commonMode
        // trapezoid from `at` of nominal width `w` (area = amplitude × w)
        func pulse(_ pts: inout [PWLPoint], at: Double, width w: Double, rest: Double, level: Double) {
            pts += [PWLPoint(at, rest), PWLPoint(at + e, level), PWLPoint(at + w, level), PWLPoint(at + w + e, rest)]
        }
        var rst: [PWLPoint] = [], en: [PWLPoint] = [], inP: [PWLPoint] = [], inN: [PWLPoint] = []
        var rows = [[PWLPoint]](repeating: [], count: p.steps.count)
        for (j, x) in inputs.enumerated() {
            let s0 = sched.start(j)
            // rst is high from the start (the first conversion begins in reset) to start + T_reset
            if j == 0 { rst += [PWLPoint(0, t.vdd), PWLPoint(t.resetTime - e, t.vdd), PWLPoint(t.resetTime, 0)] } else {
                pulse(&rst, at: s0 - e, width: t.resetTime, rest: 0, level: t.vdd)
            }
            let u = x / p.inputScale
            pulse(&inP, at: sched.integrationStart(j), width: t.integrationTime, rest: vcm, level: vcm + t.readVoltage * u)
            pulse(&inN, at: sched.integrationStart(j), width: t.integrationTime, rest: vcm, level: vcm - t.readVoltage * u)
            for (k, st) in p.steps.enumerated() {
                if st.devices > 0 {
                    pulse(&rows[k], at: sched.pulseStart(j, step: k), width: t.rampPulseTime, rest: vcm,
                          level: vcm + Double(st.sign) * t.readVoltage)
                }
                let a = sched.enableStart(j, step: k), b = sched.enableEnd(j, step: k)
                en += [PWLPoint(a, 0), PWLPoint(a + e, t.vdd), PWLPoint(b, t.vdd), PWLPoint(b + e, 0)]
            }
        }
        let stop = sched.start(inputs.count)
        c.append(.element(.source("vrst", ["rst", "0"], .piecewiseLinear(dc: t.vdd, points: rst))))
        c.append(.element(.source("ven", ["en", "0"], .piecewiseLinear(dc: 0, points: en))))
        c.append(.element(.source("vin_p_0", ["in_p_0", "0"], .piecewiseLinear(dc: vcm, points: inP))))
        c.append(.element(.source("vin_n_0", ["in_n_0", "0"], .piecewiseLinear(dc: vcm, points: inN))))
        for (k, pts) in rows.enumerated() {
            c.append(.element(.source("vrow_\(k)", ["row_\(k)", "0"], pts.isEmpty ? .constant(vcm) : .piecewiseLinear(dc: vcm, points: pts))))
        }
        note("---------------------------------------------------------------- saves, analysis")
        c.append(.save(["v(cnt)", "v(col)", "v(ramp)", "v(cmp)"]))
        c.append(.analysis(.transient(step: t.rampHoldTime / 8, stop: stop)))
        note("standalone: `ngspice -b DECK.sp` runs the analysis above and writes the raw file")
        c.append(.control(rawPath: options.rawPath ?? "bmru.raw"))
        c.append(.end)
        return SpiceDeck(cards: c)
    }

    /// Reads the count of every conversion from the simulated counter voltage.
    public static func analyze(_ v: [String: [Double]], program p: RampProgram, inputs: Int) throws -> ActivationConversion {
        guard let time = v["time"], let cnt = v["v(cnt)"] ?? v["cnt"], time.count == cnt.count, time.count > 1 else {
            throw CharacterizationError(reason: "vectors time and v(cnt) missing from the bench (have: \(v.keys.sorted().joined(separator: " ")))")
        }
        let sched = ConversionSchedule(technology: p.technology, bits: p.adc.bits)
        let step = CrossbarCells.countStep(p.technology, bits: p.adc.bits)
        var codes: [Int] = [], volts: [Double] = [], raw: [Double] = []
        var k = 1
        for j in 0..<inputs {
            let at = sched.readTime(j)
            while k < time.count - 1 && time[k] < at { k += 1 }
            let f = time[k] == time[k - 1] ? 1 : min(max((at - time[k - 1]) / (time[k] - time[k - 1]), 0), 1)
            let vc = cnt[k - 1] + f * (cnt[k] - cnt[k - 1])
            let r = vc / step
            volts.append(vc); raw.append(r)
            codes.append(min(max(Int(r.rounded()), 0), sched.periods))
        }
        return ActivationConversion(codes: codes, counterVolts: volts, rawCounts: raw)
    }
}

/// One input of a characterisation: the simulated and the ideal code and the error in LSB.
public struct ActivationPoint: Codable, Equatable, Sendable {
    public var x: Double
    public var simulatedCode: Int
    public var idealCode: Int
    /// the code the programmed (possibly quantised) conductances should give
    public var programmedCode: Int
    public var f: Double
    /// value(simulated code)
    public var simulatedValue: Double
    /// |value(simulated code) − f(x)| / lsb
    public var errorLSB: Double
    /// counter voltage / count step, before rounding
    public var rawCount: Double

    enum CodingKeys: String, CodingKey {
        case x, f
        case simulatedCode = "simulated_code", idealCode = "ideal_code", programmedCode = "programmed_code"
        case simulatedValue = "simulated_value", errorLSB = "error_lsb", rawCount = "raw_count"
    }
}

/// A whole characterisation: points, the summary and the programmed conductances.
public struct ActivationReport: Codable, Equatable, Sendable {
    public var function: String
    public var bits: Int
    public var inputRange: [Double]
    public var inputScale: Double
    public var lsb: Double
    public var points: [ActivationPoint]
    public var maxErrorLSB: Double
    public var rmsErrorLSB: Double
    /// points whose simulated code differs from the ideal one
    public var codeMismatches: Int
    /// the pass criterion: every point within this many LSB
    public var toleranceLSB: Double
    public var pass: Bool
    public var thresholds: [Double]
    public var realisedThresholds: [Double]
    /// per step: conductance of each device (S), number of devices, sign (step 0 is the offset)
    public var steps: [RampStep]
    public var quantizationLevels: Int?
    public var simulationSeconds: Double

    enum CodingKeys: String, CodingKey {
        case function, bits, lsb, points, pass, thresholds, steps
        case inputRange = "input_range", inputScale = "input_scale", maxErrorLSB = "max_error_lsb", rmsErrorLSB = "rms_error_lsb"
        case codeMismatches = "code_mismatches", toleranceLSB = "tolerance_lsb", realisedThresholds = "realised_thresholds"
        case quantizationLevels = "quantization_levels", simulationSeconds = "simulation_seconds"
    }

    /// Judges `conversion` of `inputs` against `reference` (the ADC the circuit is meant to realise; by default the
    /// program's own).
    public init(program p: RampProgram, inputs: [Double], conversion: ActivationConversion, reference: RampADC? = nil,
                toleranceLSB: Double = 1, simulationSeconds: Double = 0) {
        let adc = reference ?? p.adc
        var pts: [ActivationPoint] = []
        for (j, x) in inputs.enumerated() {
            let code = conversion.codes[j]
            let f = adc.function(x)
            let v = adc.value(code: code)
            pts.append(ActivationPoint(x: x, simulatedCode: code, idealCode: adc.code(x), programmedCode: p.code(x), f: f,
                                       simulatedValue: v, errorLSB: abs(v - f) / adc.lsb, rawCount: conversion.rawCounts[j]))
        }
        function = adc.function.name; bits = adc.bits
        inputRange = [adc.inputRange.lowerBound, adc.inputRange.upperBound]
        inputScale = p.inputScale; lsb = adc.lsb; points = pts
        maxErrorLSB = pts.map(\.errorLSB).max() ?? 0
        rmsErrorLSB = pts.isEmpty ? 0 : (pts.map { $0.errorLSB * $0.errorLSB }.reduce(0, +) / Double(pts.count)).squareRoot()
        codeMismatches = pts.filter { $0.simulatedCode != $0.idealCode }.count
        self.toleranceLSB = toleranceLSB
        pass = maxErrorLSB <= toleranceLSB
        thresholds = adc.thresholds; realisedThresholds = p.realisedThresholds; steps = p.steps
        quantizationLevels = p.quantizationLevels; self.simulationSeconds = simulationSeconds
    }

    /// `n` inputs evenly over the range, both ends included.
    public static func grid(_ range: ClosedRange<Double>, points n: Int) -> [Double] {
        guard n > 1 else { return [0.5 * (range.lowerBound + range.upperBound)] }
        return (0..<n).map { k in
            k == n - 1 ? range.upperBound : range.lowerBound + (range.upperBound - range.lowerBound) * Double(k) / Double(n - 1)
        }
    }
}
