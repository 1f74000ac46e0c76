import BMRUModel
import Foundation

// The cell library: one subcircuit per cell kind, written into every deck. Ports, parameters and the
// reason for every size are in the comments, which are emitted with the subcircuits. The circuit lines are
// fingerprinted (Calibration.currentCellLibrarySHA256): calibration tables name the library they measured.

enum CellLibrary {
    static func cards() -> [SpiceCard] {
        let N = Technology.nmos, P = Technology.pmos
        let wu = NumberText.micrometres(Technology.unitWidth), lu = NumberText.micrometres(Technology.unitLength)
        let wp = NumberText.micrometres(Technology.pmosWidth), lp = NumberText.micrometres(Technology.pmosLength)
        let r = Technology.referenceFingers, k = Technology.biasCopyFingers
        let R = String(r), K = String(k)
        func kv(_ a: String, _ b: String) -> SpiceParameter { SpiceParameter(a, b) }
        func mos(_ name: String, _ nodes: [String], _ model: String, _ ps: [SpiceParameter]) -> SpiceCard {
            .element(SpiceElement(name: name, nodes: nodes, model: model, parameters: ps))
        }
        func subckt(_ name: String, _ ports: [String], _ ps: [SpiceParameter], _ cards: [SpiceCard]) -> SpiceCard {
            .subcircuit(SpiceSubcircuit(name: name, ports: ports, parameters: ps, cards: cards))
        }
        /// One comment card per line of `s`.
        func notes(_ s: String) -> [SpiceCard] { s.split(separator: "\n", omittingEmptySubsequences: false).map { .comment(String($0)) } }
        var c: [SpiceCard] = []
        c += notes("""
            ======================================================================================
            Cell library (GF180MCU 3.3 V devices in weak inversion; all currents flow from the
            layer supply `vdd` unless a port says otherwise). Unit NMOS finger W \(wu) L \(lu):
            mid-bin (1.2-10 um) so width ratios stay in one model bin; L \(lu) keeps DIBL near 6 %/V.
            ======================================================================================
            
            bmru_ndiode: reference / output diode of one signal (input, layer output, candidate).
              port d: drain = gate. The gate voltage is the signal every later mirror copies.
              \(r) unit fingers: weight 1 = \(r) fingers, so weights down to ~0.15 fit an in-bin finger.
            """)
        c.append(subckt("bmru_ndiode", ["d"], [], [
            mos("m1", ["d", "d", "0", "0"], N, [kv("w", wu), kv("l", lu), kv("m", R)]),
        ]))
        c += notes("""
            
            bmru_w: plain weight sink (negative weights of relu / bmru layers). Sinks |w|*I_in from
              the layer's summing node. ports d (summing node), g (input diode gate); params w (finger
              width), fingers.
              No cascode: the summing node sits at one diode drop (0.25-0.5 V), like the reference's
              drain, so DIBL nearly cancels; a cascode would cost the headroom relu needs near zero.
            """)
        c.append(subckt("bmru_w", ["d", "g"], [kv("w", wu), kv("fingers", "1")], [
            mos("m1", ["d", "g", "0", "0"], N, [kv("w", "{w}"), kv("l", lu), kv("m", "{fingers}")]),
        ]))
        c += notes("""
            
            bmru_wc: cascoded weight sink (positive weights; both sums of an identity layer; residual
              copies). Sinks |w|*I_in from a PMOS sum diode (node near VDD-0.6 V).
              ports d (sum diode), g (input gate), cn (cascode bias); params w, fingers.
              The cascode (same geometry, gate at cn ~ two V_GS) holds the weight device's drain near
              one V_GS, matching the reference diode: without it DIBL gave +4..+12 %.
            """)
        c.append(subckt("bmru_wc", ["d", "g", "cn"], [kv("w", wu), kv("fingers", "1")], [
            mos("m1", ["a", "g", "0", "0"], N, [kv("w", "{w}"), kv("l", lu), kv("m", "{fingers}")]),
            mos("m2", ["d", "cn", "a", "0"], N, [kv("w", "{w}"), kv("l", lu), kv("m", "{fingers}")]),
        ]))
        c += notes("""
            
            bmru_pmirror: 1:1 PMOS mirror that sources the positive sum into the summing node.
              ports vdd, in (sum diode: positive weights sink from it), out (summing node), cp (cascode bias).
              W \(wp) L \(lp), \(r) fingers each. The cascode (gate cp = VDD - two V_SG) holds the copy's
              V_SD near the diode's V_SG: without it the copy sat at ~1.4 V and gave +1.3 %, which a large
              positive sum minus a large negative sum turned into 5-10 % of a small output.
            """)
        c.append(subckt("bmru_pmirror", ["vdd", "in", "out", "cp"], [], [
            mos("m1", ["in", "in", "vdd", "vdd"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
            mos("m2", ["a", "in", "vdd", "vdd"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
            mos("m3", ["out", "cp", "a", "vdd"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
        ]))
        c += notes("""
            
            bmru_pdiode: PMOS diode that collects one output sum of an identity layer.
              ports s (source: from the supply through the 0 V probe), d (drain = gate).
            """)
        c.append(subckt("bmru_pdiode", ["s", "d"], [], [
            mos("m1", ["d", "d", "s", "s"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
        ]))
        c += notes("""
            
            bmru_nbias: negative bias. Reference (1 finger, fed |b|*I_unit/\(k) from vddref_<L> at port ref)
              and a \(k)-finger copy sinking |b|*I_unit from the summing node `out`. Identical fingers
              make the 1:\(k) ratio exact; the reference costs a quarter of the current.
            """)
        c.append(subckt("bmru_nbias", ["out", "ref"], [], [
            mos("m1", ["ref", "ref", "0", "0"], N, [kv("w", wu), kv("l", lu)]),
            mos("m2", ["out", "ref", "0", "0"], N, [kv("w", wu), kv("l", lu), kv("m", K)]),
        ]))
        c += notes("""
            
            bmru_biasgen: shared bias voltages (references powered from vdd_bias).
              cn: two stacked unit diodes at I_unit: a cascode gate that leaves each weight device one
                  V_GS of drain voltage, like its reference diode, and tracks corner and current.
              sp: PMOS diode (W 1 L 4) at I_unit/4: gate of the comparators' starving pull-ups.
              cp: two stacked PMOS diodes (the sum-mirror geometry) at I_unit: the PMOS cascode gate.
            """)
        c.append(subckt("bmru_biasgen", ["vddb", "cn", "sp", "cp"], [], [
            mos("m1", ["cn", "cn", "a", "0"], N, [kv("w", wu), kv("l", lu)]),
            mos("m2", ["a", "a", "0", "0"], N, [kv("w", wu), kv("l", lu)]),
            mos("m3", ["sp", "sp", "vddb", "vddb"], P, [kv("w", "1u"), kv("l", "4u")]),
            mos("m4", ["b", "b", "vddb", "vddb"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
            mos("m5", ["cp", "cp", "b", "vddb"], P, [kv("w", wp), kv("l", lp), kv("m", R)]),
        ]))
        c += notes("""
            
            bmru_cell: FQ-BMRU hysteretic current comparator.
              ports: vdd (layer supply), vddb (bias supply), c (candidate diode gate), x (comparison
              node), s (state, rail to rail, high = 1), out (level current output, into the next diode),
              cn (cascode bias), sp (starve bias), rth / rwd / rlv (reference inputs of the three bias
              currents: theta_high*I/\(k) sunk from rth, width*I/\(k) sourced into rwd, level*I/\(k) sunk from rlv).
              Node x: the candidate copy (cascoded, 1:1 of the \(r)-finger candidate diode) sinks c; a PMOS
              copy sources theta_high; while s = 1 a cascoded NMOS copy also sinks the width
              (theta_high - theta_low). x falls (s rises) when c > theta_high and rises again only when
              c + width < theta_high, i.e. c < theta_low. Cascodes keep the sinks exact while x swings.
              The theta_high source has no cascode: its compliance then reaches ~1.7 V, and its drain at
              the trip point (~0.9 V) is close enough to the reference's V_SD (measured -1 % on thresholds).
              Inverter x -> s: PMOS pull-up starved at I_unit/4 (through sp), NMOS pull-down degenerated
              by a diode so the trip (~0.9 V typical) sits inside the window where all sources at x are
              saturated (~0.55-1.7 V) and tracks cn over corners; shoot-through is bounded by I_unit/4
              and no static current flows at either rail.
              The two cascodes at x are small (W 1 L 0.5): their size does not enter any ratio, and while x
              sits near ground they are in triode, where unit-size cascodes hung ~200 fF of channel on x and
              made resets 2-4x slower (0.1 nA, 0.05-unit margin: no reset within a 10 ms frame; now ~9 ms).
              Output: a \(k)-finger PMOS copy of the level reference, switched to `out` by an NMOS gated by s.
            """)
        c.append(subckt("bmru_cell", ["vdd", "vddb", "c", "x", "s", "out", "cn", "sp", "rth", "rwd", "rlv"], [], [
            mos("mcc1", ["cc1", "c", "0", "0"], N, [kv("w", wu), kv("l", lu), kv("m", R)]),
            mos("mcc2", ["x", "cn", "cc1", "0"], N, [kv("w", "1u"), kv("l", "0.5u")]),
            mos("mthd", ["rth", "rth", "vddb", "vddb"], P, [kv("w", wp), kv("l", lp)]),
            mos("mthm", ["x", "rth", "vdd", "vdd"], P, [kv("w", wp), kv("l", lp), kv("m", K)]),
            mos("mwdd", ["rwd", "rwd", "0", "0"], N, [kv("w", wu), kv("l", lu)]),
            mos("mwdm", ["wd1", "rwd", "0", "0"], N, [kv("w", wu), kv("l", lu), kv("m", K)]),
            mos("mwdc", ["wd2", "cn", "wd1", "0"], N, [kv("w", "1u"), kv("l", "0.5u")]),
            mos("mwds", ["x", "s", "wd2", "0"], N, [kv("w", "1u"), kv("l", "1u")]),
            mos("mi1", ["i1", "sp", "vdd", "vdd"], P, [kv("w", "1u"), kv("l", "4u")]),
            mos("mi2", ["s", "x", "i1", "vdd"], P, [kv("w", "1u"), kv("l", "1u")]),
            mos("mi3", ["s", "x", "i3", "0"], N, [kv("w", "2u"), kv("l", "2u")]),
            mos("mi4", ["i3", "i3", "0", "0"], N, [kv("w", "2u"), kv("l", "2u")]),
            mos("mlvd", ["rlv", "rlv", "vddb", "vddb"], P, [kv("w", wp), kv("l", lp)]),
            mos("mlvm", ["lv1", "rlv", "vdd", "vdd"], P, [kv("w", wp), kv("l", lp), kv("m", K)]),
            mos("mlvs", ["out", "s", "lv1", "0"], N, [kv("w", "1u"), kv("l", "1u")]),
        ]))
        return c
    }
}
