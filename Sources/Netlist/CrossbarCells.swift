// Subcircuits of the resistive-crossbar architecture, each built on its own so a layer deck can reuse them:
// the column integrator, a crossbar column, the ramp generator (the extra memristor column), the GF180MCU
// comparator and the gated-current counter. Only numbers and our own names go into them.

import BMRUModel
import Foundation

public enum CrossbarCells {
    public static let integratorName = "cb_integrator"
    public static let comparatorName = "cb_comparator"
    public static let counterName = "cb_counter"

    /// Comparator sizes (µm): NMOS input pair, PMOS mirror load, second stage, output inverters.
    /// Input pair W 20 L 0.5 at 50 µA each: V_GS ≈ 0.8 V, so with the tail mirror's ~0.2 V of saturation the
    /// pair works down to ~1.0 V of common mode, below the columns' 1.15 V. Short channels keep the first
    /// stage's output node small, so the comparator decides within a few tens of ns on a few mV.
    /// The second-stage PMOS is twice the load's W/L and its NMOS sink mirrors the full tail current, so the
    /// first stage's output rests at the load's V_SG and the systematic offset is near zero.
    public static let pairW = 20.0, pairL = 0.5
    public static let loadW = 20.0, loadL = 0.5
    public static let tailW = 40.0, tailL = 1.0
    public static let stage2W = 40.0, stage2L = 0.5
    public static let inverterNW = 2.0, inverterPW = 5.0, logicL = 0.5
    /// Integrator reset switches: W 10 L 0.5 µm, ~0.5 kΩ at V_GS = 1.65 V.
    public static let switchW = 10.0, switchL = 0.5
    /// Counter reset switch: W 1 L 0.5 µm (V_GS = 3.3 V: a few kΩ into C_cnt); small, so the charge it injects
    /// when it opens stays far below a count (~1 mV into 10 pF).
    public static let counterSwitchW = 1.0

    static func mos(_ name: String, _ d: String, _ g: String, _ s: String, _ b: String, pmos: Bool, w: Double, l: Double) -> SpiceCard {
        .element(SpiceElement(name: name, nodes: [d, g, s, b], model: pmos ? Technology.pmos : Technology.nmos,
                              parameters: [SpiceParameter("w", NumberText.micrometres(w)), SpiceParameter("l", NumberText.micrometres(l))]))
    }

    /// A two-terminal or controlled element whose value is a plain number (r, c, e, g).
    static func value(_ name: String, _ nodes: [String], _ v: Double) -> SpiceCard {
        .element(.source(name, nodes, .constant(v)))
    }

    static func notes(_ s: String) -> [SpiceCard] {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { .comment(String($0)) }
    }

    /// Integrator: ports vg (virtual ground: the column's memristors end here), out, vcm, rst (reset, high = closed).
    public static func integrator(_ t: CrossbarTechnology) -> [SpiceCard] {
        let n = NumberText.spice
        return notes("""
            \(integratorName): inverting integrator at a column foot. ports vg out vcm rst.
              The op-amp is behavioural, a one-pole amplifier around V_cm: transconductance g1 \(n(t.opampTransconductance)) S into
              r1 \(n(t.opampGain / t.opampTransconductance)) ohm || c2 \(n(t.opampLoadCapacitance)) F (DC gain \(n(t.opampGain)), unity gain at
              \(n(t.opampTransconductance / (2 * Double.pi * t.opampLoadCapacitance))) Hz); it stands for a real amplifier only in holding vg
              at V_cm. C_int \(n(t.integrationCapacitance)) F in feedback,
              so out = V_cm - (1/C_int) * integral of the column current. The reset switch (nmos_3p3
              W \(n(switchW))u L \(n(switchL))u) shorts C_int while rst is high.
            """) + [.subcircuit(SpiceSubcircuit(name: integratorName, ports: ["vg", "out", "vcm", "rst"], cards: [
                value("g1", ["0", "out", "vcm", "vg"], t.opampTransconductance),
                value("r1", ["out", "vcm"], t.opampGain / t.opampTransconductance),
                value("c2", ["out", "vcm"], t.opampLoadCapacitance),
                value("c1", ["vg", "out"], t.integrationCapacitance),
                mos("m1", "vg", "rst", "out", "0", pmos: false, w: switchW, l: switchL),
            ]))]
    }

    /// The conductance pair of a signed weight w in [-1, 1] on a differential row pair:
    /// G⁺ = g_min + (g_max − g_min)·max(w, 0), G⁻ = g_min + (g_max − g_min)·max(−w, 0).
    public static func weightPair(_ w: Double, _ t: CrossbarTechnology) -> (plus: Double, minus: Double) {
        let span = t.gMax - t.gMin
        return (t.gMin + span * max(w, 0), t.gMin + span * max(-w, 0))
    }

    /// A crossbar column with weights `weights` (each in [-1, 1]) on differential rows: ports vcm rst out,
    /// then in_p_<i> in_n_<i> per input. Input u_i drives in_p_i at V_cm + V_read·u_i and in_n_i at
    /// V_cm − V_read·u_i, so the column current is Σ (G⁺ − G⁻)·V_read·u_i = (g_max − g_min)·V_read·Σ w_i·u_i.
    public static func column(name: String, weights: [Double], _ t: CrossbarTechnology) throws(CrossbarError) -> [SpiceCard] {
        guard !weights.isEmpty else { throw CrossbarError(field: "weights", reason: "a column needs at least one weight") }
        if let k = weights.indices.first(where: { !(weights[$0].isFinite && abs(weights[$0]) <= 1) }) {
            throw CrossbarError(field: "weights[\(k)]", reason: "must be in [-1, 1] (is \(weights[k]))")
        }
        let n = NumberText.spice
        var cards: [SpiceCard] = notes("""
            \(name): crossbar column of \(weights.count) signed weight(s) on differential rows. ports vcm rst out, in_p_i in_n_i.
              Weight w: G+ = g_min + (g_max - g_min)*max(w, 0) on in_p, G- = g_min + (g_max - g_min)*max(-w, 0) on in_n;
              rows at V_cm +/- V_read*u give the current (g_max - g_min)*V_read*sum(w*u) = \(n(t.unitWeightConductance)) S * V_read * sum(w*u).
              Memristors are ideal resistors at their programmed conductance.
            """)
        var sub: [SpiceCard] = []
        var ports = ["vcm", "rst", "out"]
        for (i, w) in weights.enumerated() {
            ports += ["in_p_\(i)", "in_n_\(i)"]
            let g = weightPair(w, t)
            sub.append(value("r_\(i)_p", ["in_p_\(i)", "vg"], 1 / g.plus))
            sub.append(value("r_\(i)_n", ["in_n_\(i)", "vg"], 1 / g.minus))
        }
        sub.append(.element(.instance("xint", ["vg", "out", "vcm", "rst"], integratorName)))
        return cards + [.subcircuit(SpiceSubcircuit(name: name, ports: ports, cards: sub))]
    }

    /// Ports of the ramp generator: vcm rst out, then one row per step (row_0 = the offset).
    public static func rampPorts(_ p: RampProgram) -> [String] {
        ["vcm", "rst", "out"] + p.steps.indices.map { "row_\($0)" }
    }

    /// The ramp generator: the ramp column (one row per step, `devices` memristors in parallel on it) into an
    /// integrator identical to the columns'. Pulsing row k for T_pulse moves the ramp through one threshold.
    public static func rampGenerator(name: String, program p: RampProgram) -> [SpiceCard] {
        let n = NumberText.spice
        let t = p.technology
        var cards: [SpiceCard] = notes("""
            \(name): ramp generator of a \(p.adc.bits)-bit \(p.adc.function.name) ramp ADC over [\(n(p.adc.inputRange.lowerBound)), \(n(p.adc.inputRange.upperBound))],
              input scale \(n(p.inputScale)) (x that drives the rows at full V_read). The extra memristor column:
              row_k is pulsed to V_cm +/- V_read for T_pulse \(n(t.rampPulseTime)) s in clock period k + 1 and
              moves the ramp by G_k*V_read*T_pulse/C_int; row_0 is the offset to threshold 1 (sign \(p.offsetSign),
              \(p.offsetDevices) devices), row_k (k >= 1) steps from threshold k to k + 1.
              Conductances per x: \(n(p.conductancePerInput)) S\(p.quantizationLevels.map { ", quantised to \($0) levels" } ?? "").
            """)
        var sub: [SpiceCard] = []
        for (k, s) in p.steps.enumerated() {
            for d in 0..<s.devices {
                sub.append(value("r_\(k)_\(d)", ["row_\(k)", "vg"], 1 / s.conductance))
            }
        }
        sub.append(.element(.instance("xint", ["vg", "out", "vcm", "rst"], integratorName)))
        cards.append(.subcircuit(SpiceSubcircuit(name: name, ports: rampPorts(p), cards: sub)))
        return cards
    }

    /// Comparator: ports vdd inp inn nb out; out is high (vdd) when inp > inn. nb is the gate of a shared NMOS
    /// bias diode (W tailW L tailL) carrying the tail current.
    public static func comparator(_ t: CrossbarTechnology) -> [SpiceCard] {
        let n = NumberText.spice
        func u(_ x: Double) -> String { n(x) + "u" }
        return notes("""
            \(comparatorName): GF180MCU comparator, nmos_3p3 / pmos_3p3 at VDD \(n(t.vdd)) V. ports vdd inp inn nb out.
              Stage 1: NMOS pair W \(u(pairW)) L \(u(pairL)) (half the \(n(t.comparatorBias)) A tail each,
              so inputs down to ~1 V work), PMOS mirror load W \(u(loadW)) L \(u(loadL)), tail W \(u(tailW)) L \(u(tailL))
              mirrored from nb. Stage 2: PMOS W \(u(stage2W)) L \(u(stage2L)) (2x the load's W/L) into an NMOS sink
              carrying the tail current: no systematic offset. Two inverters (N \(u(inverterNW)) / P \(u(inverterPW)), L \(u(logicL)))
              square the edge. No compensation: the comparator is never in a loop.
            """) + [.subcircuit(SpiceSubcircuit(name: comparatorName, ports: ["vdd", "inp", "inn", "nb", "out"], cards: [
                mos("m1", "a", "inn", "tail", "0", pmos: false, w: pairW, l: pairL),
                mos("m2", "o1", "inp", "tail", "0", pmos: false, w: pairW, l: pairL),
                mos("m3", "a", "a", "vdd", "vdd", pmos: true, w: loadW, l: loadL),
                mos("m4", "o1", "a", "vdd", "vdd", pmos: true, w: loadW, l: loadL),
                mos("m5", "tail", "nb", "0", "0", pmos: false, w: tailW, l: tailL),
                mos("m6", "o2", "o1", "vdd", "vdd", pmos: true, w: stage2W, l: stage2L),
                mos("m7", "o2", "nb", "0", "0", pmos: false, w: tailW, l: tailL),
                mos("m8", "o3", "o2", "vdd", "vdd", pmos: true, w: inverterPW, l: logicL),
                mos("m9", "o3", "o2", "0", "0", pmos: false, w: inverterNW, l: logicL),
                mos("m10", "out", "o3", "vdd", "vdd", pmos: true, w: inverterPW, l: logicL),
                mos("m11", "out", "o3", "0", "0", pmos: false, w: inverterNW, l: logicL),
            ]))]
    }

    /// The shared comparator bias: a diode at nb fed `comparatorBias` from vdd (an ideal reference current).
    public static func comparatorBias(_ t: CrossbarTechnology, vdd: String, nb: String) -> [SpiceCard] {
        [.comment("comparator bias: \(NumberText.spice(t.comparatorBias)) A reference into one NMOS diode, shared by every comparator"),
         .element(.source("ibias_cmp", [vdd, nb], .dc(t.comparatorBias))),
         mos("mbias_cmp", nb, nb, "0", "0", pmos: false, w: tailW, l: tailL)]
    }

    /// The NAND's output stays low about this much longer than the enable's half-amplitude window (its switching
    /// point and the edge rates differ between rising and falling; measured 0.5 ns on the typical models at 27 °C,
    /// the same for 46 and 94 ns windows). Without it every count was 1.1 % long.
    public static let nandWindowExtension = 0.5e-9

    /// Gate window of one count (the hold phase after the count delay, less its edges), s.
    public static func countWindow(_ t: CrossbarTechnology) -> Double {
        t.rampHoldTime - t.countDelay - 2 * t.edgeTime + nandWindowExtension
    }

    /// Counting current (A) that brings the counter to full scale after 2^B − 1 counts.
    public static func countCurrent(_ t: CrossbarTechnology, bits: Int) -> Double {
        t.counterCapacitance * t.counterFullScale / (Double((1 << bits) - 1) * countWindow(t))
    }

    /// Counter voltage of one count, V.
    public static func countStep(_ t: CrossbarTechnology, bits: Int) -> Double { t.counterFullScale / Double((1 << bits) - 1) }

    /// Counter: ports vdd cmp en rst cnt. A transistor NAND of the comparator output and the hold-phase enable
    /// gates a constant current into C_cnt: cnt rises by one step in every hold phase the comparator is high.
    public static func counter(_ t: CrossbarTechnology, bits: Int) -> [SpiceCard] {
        let n = NumberText.spice
        let i = countCurrent(t, bits: bits)
        return notes("""
            \(counterName): counter of a \(bits)-bit ramp ADC. ports vdd cmp en rst cnt.
              NAND(cmp, en) on nmos_3p3 / pmos_3p3 (W 4u, L \(n(logicL))u); a VCCS (behavioural: a gated
              current source) puts (vdd - nand)/vdd * \(n(i)) A into C_cnt \(n(t.counterCapacitance)) F, so each hold
              phase with cmp high adds \(n(countStep(t, bits: bits))) V; \((1 << bits) - 1) counts reach \(n(t.counterFullScale)) V.
              The count is cnt / step; rst (high) empties C_cnt through an nmos_3p3 switch.
            """) + [.subcircuit(SpiceSubcircuit(name: counterName, ports: ["vdd", "cmp", "en", "rst", "cnt"], cards: [
                mos("m1", "nd", "cmp", "vdd", "vdd", pmos: true, w: 4, l: logicL),
                mos("m2", "nd", "en", "vdd", "vdd", pmos: true, w: 4, l: logicL),
                mos("m3", "nd", "cmp", "s", "0", pmos: false, w: 4, l: logicL),
                mos("m4", "s", "en", "0", "0", pmos: false, w: 4, l: logicL),
                value("g1", ["0", "cnt", "vdd", "nd"], i / t.vdd),
                value("c1", ["cnt", "0"], t.counterCapacitance),
                mos("m5", "cnt", "rst", "0", "0", pmos: false, w: counterSwitchW, l: switchL),
            ]))]
    }

    /// The cards every crossbar deck starts with after its header: the GF180MCU model files, nominal devices, the
    /// temperature and the transient options.
    public static func preamble(_ options: DeckOptions) -> [SpiceCard] {
        [
            .include("\(options.modelsDirectory)/design.ngspice"),
            .library(path: "\(options.modelsDirectory)/sm141064.ngspice", section: options.corner.rawValue),
            .comment("design.ngspice enables Monte Carlo by default: nominal devices here"),
            .parameters([SpiceParameter("sw_stat_global", "0"), SpiceParameter("sw_stat_mismatch", "0")]),
            .temperature(options.temperature),
            .comment("gear integration; reltol 1e-3 (1e-4 gave the same counts to 0.01 in 1.5x the time)"),
            .options([SpiceParameter("method", "gear"), SpiceParameter("reltol", "1e-3")], singular: false),
        ]
    }
}
