// The per-unit circuits of one layer (see the circuit description at the top of DeckEmitter.swift): the cards
// inside the layer's subcircuit, its top-level probes, and the mapping entry of every parameter.

import BMRUModel
import Foundation

extension Emission {
    /// The supply of a bmru layer's cells (comparators and level copies): `vddcell_<L>`.
    static func cellSupply(_ L: String) -> String { "vddcell_\(L)" }
    /// The supply of a layer's bias references (cell thresholds, widths and levels; negative biases): `vddref_<L>`.
    static func referenceSupply(_ L: String) -> String { "vddref_\(L)" }
    /// Whether a layer draws bias references: bmru cells, and negative biases of relu layers (identity layers sink
    /// theirs ideally).
    static func hasReferences(_ l: Layer) -> Bool {
        l.kind == .bmru || (l.activation != .identity && l.bias.contains { $0 < 0 })
    }

    /// Emits layer k into `layers`; returns its output diode nodes.
    mutating func layer(_ k: Int, _ l: Layer, inputs src: [String], outNodes: [String: [String]]) -> [String] {
        let L = l.name.lowercased()
        let sup = "vdd_\(L)"
        let kindText = l.kind == .bmru ? "bmru" : "dense \(l.activation.rawValue)"
        var lc = LayerCards(name: L, title: "\(L): \(kindText) \(l.inputs) -> \(l.outputs)\(l.residual.map { ", residual from \($0.lowercased())" } ?? "")")
        lc.inputs = src + (l.residual.map { outNodes[$0.lowercased()]! } ?? [])
        lc.supplies.append(.source(sup, [sup, "0"], .constant(options.vdd)))
        probe("i(\(sup))", "supply_current", L, nil)
        if l.kind == .bmru {
            lc.supplies.append(.source(Emission.cellSupply(L), [Emission.cellSupply(L), "0"], .constant(options.vdd)))
            probe("i(\(Emission.cellSupply(L)))", "cell_supply_current", L, nil)
        }
        if Emission.hasReferences(l) {
            lc.supplies.append(.source(Emission.referenceSupply(L), [Emission.referenceSupply(L), "0"], .constant(options.vdd)))
            probe("i(\(Emission.referenceSupply(L)))", "reference_supply_current", L, nil)
        }
        var outs: [String] = []
        for j in 0..<l.outputs {
            lc.inner.append(.comment("\(L) unit \(j)"))
            if l.kind == .dense && l.activation == .identity {
                outs.append(identityUnit(l, j, sup: sup, src: src, outNodes: outNodes, into: &lc))
            } else {
                outs.append(summingUnit(l, j, sup: sup, src: src, outNodes: outNodes, into: &lc))
            }
        }
        layers.append(lc)
        return outs
    }

    /// An identity unit: the positive and the negative sum in two PMOS diodes, each through its 0 V probe.
    mutating func identityUnit(_ l: Layer, _ j: Int, sup: String, src: [String], outNodes: [String: [String]],
                               into lc: inout LayerCards) -> String {
        let L = lc.name
        let p = "p_\(L)_\(j)", m = "m_\(L)_\(j)"
        lc.outer.append(.element(.source("vo_\(L)_\(j)_p", [sup, "ps_\(L)_\(j)"], .constant(0))))
        lc.inner.append(.element(.instance("xpd_\(L)_\(j)_p", ["ps_\(L)_\(j)", p], "bmru_pdiode")))
        lc.outer.append(.element(.source("vo_\(L)_\(j)_n", [sup, "ns_\(L)_\(j)"], .constant(0))))
        lc.inner.append(.element(.instance("xpd_\(L)_\(j)_n", ["ns_\(L)_\(j)", m], "bmru_pdiode")))
        lc.exposed += [p, m]   // the sum diodes' voltages (the mirror bench saves v(p_<L>_<j>))
        probe("i(vo_\(L)_\(j)_p)", "output_current_positive", L, j)
        probe("i(vo_\(L)_\(j)_n)", "output_current_negative", L, j)
        for (i, w) in l.weights[j].enumerated() {
            weight("\(l.name).weights[\(j)][\(i)]", w, element: "xw_\(L)_\(j)_\(i)", node: w < 0 ? m : p,
                   gate: src[i], cascoded: true, into: &lc)
        }
        let b = l.bias[j], el = "ib_\(L)_\(j)"
        if b == 0 {
            param("\(l.name).bias[\(j)]", b, "none", [], realized: 0, note: "zero bias: no source")
        } else {
            lc.inner.append(.element(.source(el, [b > 0 ? p : m, "0"], .dc(abs(b) * iu))))
            param("\(l.name).bias[\(j)]", b, "ideal_current", [el], current: abs(b) * iu, realized: b,
                  note: b > 0 ? "sunk through the positive output diode" : "sunk through the negative output diode")
        }
        if let r = l.residual {
            copy("\(l.name).residual[\(j)]", element: "xwr_\(L)_\(j)", node: p, gate: outNodes[r.lowercased()]![j], into: &lc)
        }
        return p
    }

    /// A relu or bmru unit: the summing node n with its PMOS mirror and bias, then the unit's output stage.
    mutating func summingUnit(_ l: Layer, _ j: Int, sup: String, src: [String], outNodes: [String: [String]],
                              into lc: inout LayerCards) -> String {
        let L = lc.name
        let n = "n_\(L)_\(j)", p = "p_\(L)_\(j)"
        var positive = false
        for (i, w) in l.weights[j].enumerated() {
            if w >= Technology.smallestWeight / 2 { positive = true }
            weight("\(l.name).weights[\(j)][\(i)]", w, element: "xw_\(L)_\(j)_\(i)", node: w > 0 ? p : n, gate: src[i],
                   cascoded: w > 0, into: &lc)
        }
        if positive { lc.inner.append(.element(.instance("xpm_\(L)_\(j)", [sup, p, n, "bias_cp"], "bmru_pmirror"))) }
        let b = l.bias[j], el = "ib_\(L)_\(j)"
        if b > 0 {
            lc.inner.append(.element(.source(el, [sup, n], .dc(b * iu))))
            param("\(l.name).bias[\(j)]", b, "ideal_current", [el], current: b * iu, realized: b)
        } else if b < 0 {
            let k4 = Double(Technology.biasCopyFingers)
            lc.inner.append(.element(.source(el, [Emission.referenceSupply(L), "nb_\(L)_\(j)"], .dc(-b * iu / k4))))
            lc.inner.append(.element(.instance("xnb_\(L)_\(j)", [n, "nb_\(L)_\(j)"], "bmru_nbias")))
            param("\(l.name).bias[\(j)]", b, "ideal_current_mirrored", [el, "xnb_\(L)_\(j)"], current: -b * iu, realized: b,
                  note: "reference |b|*I/\(Technology.biasCopyFingers) from the layer's reference supply, \(Technology.biasCopyFingers)-finger copy sinks |b|*I")
        } else {
            param("\(l.name).bias[\(j)]", b, "none", [], realized: 0, note: "zero bias: no source")
        }
        let o = "o_\(L)_\(j)"
        if l.kind == .bmru {
            cellStage(l, j, sup: sup, n: n, o: o, into: &lc)
        } else if let r = l.residual {
            let z = "z_\(L)_\(j)", q = "q_\(L)_\(j)", rr = "r_\(L)_\(j)"
            lc.outer.append(.element(.source("vz_\(L)_\(j)", [n, z], .constant(0))))
            lc.inner.append(.element(.instance("xdz_\(L)_\(j)", [z], "bmru_ndiode")))
            probe("i(vz_\(L)_\(j))", "relu_current", L, j)
            copy("\(l.name).relu_copy[\(j)]", element: "xwz_\(L)_\(j)", node: q, gate: z, into: &lc)
            copy("\(l.name).residual[\(j)]", element: "xwr_\(L)_\(j)", node: q, gate: outNodes[r.lowercased()]![j], into: &lc)
            lc.inner.append(.element(.instance("xqm_\(L)_\(j)", [sup, q, rr, "bias_cp"], "bmru_pmirror")))
            lc.outer.append(.element(.source("vo_\(L)_\(j)", [rr, o], .constant(0))))
            lc.inner.append(.element(.instance("xd_\(L)_\(j)", [o], "bmru_ndiode")))
            probe("i(vo_\(L)_\(j))", "output_current", L, j)
        } else {
            lc.outer.append(.element(.source("vo_\(L)_\(j)", [n, o], .constant(0))))
            lc.inner.append(.element(.instance("xd_\(L)_\(j)", [o], "bmru_ndiode")))
            probe("i(vo_\(L)_\(j))", "output_current", L, j)
        }
        return o
    }

    /// The bmru output stage: candidate diode, the cell with its three bias references, the level output.
    mutating func cellStage(_ l: Layer, _ j: Int, sup: String, n: String, o: String, into lc: inout LayerCards) {
        let L = lc.name
        let c = "c_\(L)_\(j)"
        lc.outer.append(.element(.source("vc_\(L)_\(j)", [n, c], .constant(0))))
        lc.inner.append(.element(.instance("xdc_\(L)_\(j)", [c], "bmru_ndiode")))
        probe("i(vc_\(L)_\(j))", "candidate_current", L, j)
        let lo = l.thetaLow![j], hi = l.thetaHigh![j], lv = l.level![j]
        let k4 = Double(Technology.biasCopyFingers)
        let cr = cellRealization(thetaLow: lo, thetaHigh: hi, level: lv)
        let ith = "ith_\(L)_\(j)", iwd = "iwd_\(L)_\(j)", ilv = "ilv_\(L)_\(j)", cell = "xcell_\(L)_\(j)"
        lc.inner.append(.element(.source(ith, ["rth_\(L)_\(j)", "0"], .dc(cr.thetaHighBias * iu / k4))))
        let ref = Emission.referenceSupply(L)
        lc.inner.append(.element(.source(iwd, [ref, "rwd_\(L)_\(j)"], .dc(cr.widthBias * iu / k4))))
        lc.inner.append(.element(.source(ilv, ["rlv_\(L)_\(j)", "0"], .dc(cr.levelBias * iu / k4))))
        lc.inner.append(.element(.instance(cell, [Emission.cellSupply(L), ref, c, "x_\(L)_\(j)", "s_\(L)_\(j)", "y_\(L)_\(j)", "bias_cn",
                                                  "bias_sp", "rth_\(L)_\(j)", "rwd_\(L)_\(j)", "rlv_\(L)_\(j)"], "bmru_cell")))
        lc.outer.append(.element(.source("vo_\(L)_\(j)", ["y_\(L)_\(j)", o], .constant(0))))
        lc.inner.append(.element(.instance("xd_\(L)_\(j)", [o], "bmru_ndiode")))
        probe("v(s_\(L)_\(j))", "state", L, j)
        probe("v(x_\(L)_\(j))", "comparison_node", L, j)
        probe("i(vo_\(L)_\(j))", "output_current", L, j)
        let refNote = "reference carries 1/\(Technology.biasCopyFingers) from the layer's reference supply, \(Technology.biasCopyFingers)-finger copy"
        param("\(l.name).theta_low[\(j)]", lo, "ideal_current_mirrored", [iwd, cell], current: cr.widthBias * iu,
              realized: cr.thetaLow, note: "realised as the hysteresis width theta_high - theta_low sunk from x while s = 1; " + refNote)
        param("\(l.name).theta_high[\(j)]", hi, "ideal_current_mirrored", [ith, cell], current: cr.thetaHighBias * iu,
              realized: cr.thetaHigh, note: "sourced into x; " + refNote)
        param("\(l.name).level[\(j)]", lv, "ideal_current_mirrored", [ilv, cell], current: cr.levelBias * iu,
              realized: cr.level, note: "switched to the output by s; " + refNote)
        let s0 = (l.initialState ?? [])[safe: j] ?? 0
        ics.append([SpiceParameter("v(s_\(L)_\(j))", s0 == 1 ? vdd : "0"), SpiceParameter("v(x_\(L)_\(j))", s0 == 1 ? "0" : vdd)])
        param("\(l.name).initial_state[\(j)]", Double(s0), "initial_condition", [".ic v(s_\(L)_\(j))"], realized: Double(s0))
    }

    /// A weight sink device from `gate` into `node`; nothing is drawn below half the smallest weight.
    mutating func weight(_ pname: String, _ w: Double, element: String, node: String, gate: String, cascoded: Bool,
                         into lc: inout LayerCards) {
        let r = weightRealization(pname, w, cascoded: cascoded)
        let sign: Double = w < 0 ? -1 : 1
        switch r.kind {
        case .zero:
            param(pname, w, "zero", [], realized: 0, note: "no device")
        case .belowMinimumDropped:
            param(pname, w, r.kind.rawValue, [], realized: 0,
                  note: "|w| below half the smallest realisable weight \(Technology.smallestWeight); no device")
            lc.inner.append(.comment("\(element): weight \(NumberText.spice(w)) below half the minimum \(NumberText.spice(Technology.smallestWeight)): not drawn"))
        case .fingers, .belowMinimumRounded, .narrowFinger:
            let width = NumberText.micrometres(r.fingerWidth)
            let sizes = [SpiceParameter("w", width), SpiceParameter("fingers", String(r.fingers))]
            lc.inner.append(.element(cascoded ? .instance(element, [node, gate, "bias_cn"], "bmru_wc", sizes)
                                              : .instance(element, [node, gate], "bmru_w", sizes)))
            param(pname, w, r.kind.rawValue, [element], fingers: r.fingers, width: Double(width.dropLast())!,
                  realized: sign * r.realizedMagnitude,
                  note: r.kind == .belowMinimumRounded ? "rounded up to the smallest realisable weight \(Technology.smallestWeight)"
                      : r.kind == .narrowFinger ? "one finger in the 0.5-1.2 um model bin, sized from the measured table" : nil)
        }
    }

    /// A unit-gain cascoded copy (residual, relu result) into a PMOS sum diode.
    mutating func copy(_ pname: String, element: String, node: String, gate: String, into lc: inout LayerCards) {
        let r = weightRealization(pname, 1, cascoded: true)   // nominal unless calibrated
        let width = NumberText.micrometres(r.fingerWidth)
        lc.inner.append(.element(.instance(element, [node, gate, "bias_cn"], "bmru_wc",
                                           [SpiceParameter("w", width), SpiceParameter("fingers", String(r.fingers))])))
        param(pname, 1, "copy", [element], fingers: r.fingers, width: Double(width.dropLast())!,
              realized: r.realizedMagnitude, note: "structural unit-gain copy (not a trained parameter)")
    }
}
