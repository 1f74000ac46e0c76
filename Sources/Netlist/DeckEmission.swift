// The emission state of DeckEmitter: the deck's cards (header, library, supplies, inputs, one subcircuit per
// layer, trailer) and the mapping entries. The per-unit circuits are in LayerEmission.swift.

import BMRUModel
import Foundation

/// One layer while it is emitted: the cards inside its subcircuit and those at the top level (supply, probes).
struct LayerCards {
    var name: String
    var title: String
    var inner: [SpiceCard] = []
    /// the layer's supplies (top level)
    var supplies: [SpiceElement] = []
    /// its 0 V probes (top level)
    var outer: [SpiceCard] = []
    /// nodes inside the layer that must be ports although nothing outside touches them (saved by benches)
    var exposed: [String] = []
    /// the layer's input gate nodes and its residual's source nodes, in order (ports first after the supplies)
    var inputs: [String] = []
}

struct Emission {
    let network: Network
    let stimulus: Stimulus?
    let options: DeckOptions
    var cards: [SpiceCard] = []
    var layers: [LayerCards] = []
    var params: [ParameterRealization] = []
    var probes: [ProbeEntry] = []
    var saves: [String] = []
    var ics: [[SpiceParameter]] = []
    var frames = 1
    var stopTime = 0.0
    var mapping: DeckMapping! = nil

    init(network: Network, stimulus: Stimulus?, options: DeckOptions) {
        self.network = network; self.stimulus = stimulus; self.options = options
    }

    var iu: Double { network.unitCurrent }
    var vdd: String { NumberText.spice(options.vdd) }

    mutating func comment(_ s: String) { cards.append(.comment(s)) }
    mutating func element(_ e: SpiceElement) { cards.append(.element(e)) }

    mutating func build() -> SpiceDeck {
        let T = network.framePeriod
        frames = max(1, stimulus?.frames.count ?? 1)
        stopTime = Double(frames) * T
        header()
        let library = CellLibrary.cards()
        cards += options.mismatchSeed == nil ? library : DeckMismatch.library(library)
        comment("---------------------------------------------------------------- supplies and shared bias")
        element(.source("vdd_bias", ["vdd_bias", "0"], .constant(options.vdd)))
        probe("i(vdd_bias)", "supply_current", nil, nil)
        element(.source("ibias_cn", ["vdd_bias", "bias_cn"], .dc(iu)))
        element(.source("ibias_st", ["bias_sp", "0"], .dc(iu / 4)))
        element(.source("ibias_cp", ["bias_cp", "0"], .dc(iu)))
        element(.instance("xbias", ["vdd_bias", "bias_cn", "bias_sp", "bias_cp"], "bmru_biasgen"))
        inputs()
        var sources = (0..<network.inputs).map { "in_\($0)" }
        var outNodes: [String: [String]] = [:]
        for (k, l) in network.layers.enumerated() {
            let names = layer(k, l, inputs: sources, outNodes: outNodes)
            outNodes[l.name.lowercased()] = names
            sources = names
        }
        assembleLayers()
        trailer()
        mapping = DeckMapping(generator: "bmru \(options.generatorVersion)", network: DeckEmitter.printable(network.name),
                              networkSHA256: options.networkSHA256, unitCurrentA: iu, framePeriodS: T, frames: frames,
                              stopTimeS: stopTime, corner: options.corner.rawValue, vdd: options.vdd,
                              temperatureC: options.temperature, technology: technology(), probes: probes, parameters: params)
        return SpiceDeck(cards: cards)
    }

    func technology() -> [String: String] {
        var tech: [String: String] = [
            "nmos": Technology.nmos, "pmos": Technology.pmos,
            "unit_finger_um": "W \(Technology.unitWidth) L \(Technology.unitLength)",
            "reference_fingers": String(Technology.referenceFingers),
            "delta_width_um": String(Technology.deltaWidth),
            "finger_width_range_um": "\(Technology.minFingerWidth)-\(Technology.maxFingerWidth)",
            "minimum_weight": String(Technology.smallestWeight),
            "minimum_main_bin_weight": String(Technology.minimumWeight),
            "bias_copy_fingers": String(Technology.biasCopyFingers),
            "options": Technology.options,
        ]
        tech["models_directory"] = options.modelsDirectory
        tech.merge(calibrationTechnology()) { _, b in b }
        return tech
    }

    mutating func header() {
        // Title line (ngspice ignores it as a card). Everything from the input file is sanitised.
        let n = NumberText.spice
        comment("AnalogBMRU FQ-BMRU deck")
        comment("network: \(DeckEmitter.printable(network.name))")
        comment("network sha256: \(options.networkSHA256 ?? "not given")")
        comment("generator: bmru \(options.generatorVersion), netlist format \(DeckEmitter.mappingFormatVersion)")
        comment("corner \(options.corner.rawValue), VDD \(vdd) V, temperature \(n(options.temperature)) C")
        comment("unit current \(n(iu)) A, frame period \(n(network.framePeriod)) s, frames \(frames)")
        comment("")
        comment("Probe contract (all lower case):")
        comment("  frame k's input holds on [k*T, (k+1)*T), edges within the first \(n(options.edgeFraction * 100)) % of the frame;")
        comment("  the value at the end of frame k is compared with the model's frame k output.")
        comment("  v(s_<L>_<i>)  state of unit i of bmru layer L (high = 1)")
        comment("  i(vo_<L>_<i>) output current of unit i of layer L (identity last layer: i(vo_<L>_<i>_p) - i(vo_<L>_<i>_n))")
        comment("  i(vc_<L>_<i>) candidate current of a bmru unit; v(x_<L>_<i>) its comparison node")
        comment("  iin_<i>       input current sources")
        comment("  i(vdd_<L>)    supply of layer L's mirrors (of a bmru layer: its candidate matrix W.x + b)")
        comment("  i(vddcell_<L>) supply of bmru layer L's cells (comparators, level copies); i(vddref_<L>) its bias references")
        comment("  i(vdd_bias)   the shared bias generator")
        comment("  (supply currents are negative when the supply delivers power)")
        comment("Layers: one subcircuit bmru_layer_<L> each, instanced once as xl_<L>; probes and supplies at the top.")
        comment("")
        cards.append(.include("\(options.modelsDirectory)/design.ngspice"))
        cards.append(.library(path: "\(options.modelsDirectory)/sm141064.ngspice", section: options.corner.rawValue))
        if let seed = options.mismatchSeed {
            comment("Monte Carlo mismatch sample \(seed): per-device mismatch on, global variation off (the corner sets it)")
            cards.append(.parameters([SpiceParameter("sw_stat_global", "0"), SpiceParameter("sw_stat_mismatch", "1")]))
            cards.append(.options([SpiceParameter("seed", String(seed))], singular: true))
        } else {
            comment("design.ngspice enables Monte Carlo by default: nominal devices here")
            cards.append(.parameters([SpiceParameter("sw_stat_global", "0"), SpiceParameter("sw_stat_mismatch", "0")]))
        }
        cards.append(.temperature(options.temperature))
        comment("abstol/chgtol/gmin far below the pA currents that matter; gear integration (see Technology.options)")
        cards.append(.options(Technology.simulatorOptions.map { SpiceParameter($0.0, $0.1) }, singular: false))
    }

    mutating func inputs() {
        comment("---------------------------------------------------------------- inputs (max(x, 0) x I_unit)")
        let T = network.framePeriod
        let edge = T * options.edgeFraction
        for i in 0..<network.inputs {
            if let s = stimulus, !s.frames.isEmpty {
                let v = s.frames.map { max($0[i], 0) * iu }
                var pts = [PWLPoint(0, v[0])]
                for k in 1..<v.count where v[k] != v[k - 1] {
                    pts += [PWLPoint(Double(k) * T, v[k - 1]), PWLPoint(Double(k) * T + edge, v[k])]
                }
                element(.source("iin_\(i)", ["0", "in_\(i)"], .piecewiseLinear(dc: v[0], points: pts)))
            } else {
                element(.source("iin_\(i)", ["0", "in_\(i)"], .dc(0)))
            }
            element(.instance("xdin_\(i)", ["in_\(i)"], "bmru_ndiode"))
            probe("v(in_\(i))", "input_node", nil, i)
        }
    }

    mutating func probe(_ v: String, _ kind: String, _ layer: String?, _ unit: Int?) {
        probes.append(ProbeEntry(vector: v, kind: kind, layer: layer, unit: unit))
        saves.append(v)
    }

    mutating func param(_ p: String, _ value: Double, _ how: String, _ elements: [String], fingers: Int? = nil,
                        width: Double? = nil, current: Double? = nil, realized: Double, note: String? = nil) {
        params.append(ParameterRealization(parameter: p, value: value, realization: how, elements: elements,
                                           fingers: fingers, fingerWidthUm: width, currentA: current,
                                           realizedValue: realized, error: realized - value, note: note))
    }

    /// Each layer as its subcircuit, its supply, its instance and its top-level probes. A node inside a layer is
    /// a port when anything outside it (top level, another layer, an initial condition) touches it, or when the
    /// layer exposes it; ports list the supplies and shared biases, then the inputs, then the rest in order.
    mutating func assembleLayers() {
        func nodes(_ cs: [SpiceCard]) -> [String] {
            cs.flatMap { c -> [String] in if case let .element(e) = c { return e.nodes } else { return [] } }
        }
        var outside: [String: Int] = [:]   // node -> how many layers' insides use it, plus 2 for the top level
        for n in Set(nodes(cards)) { outside[n, default: 0] += 2 }
        for l in layers {
            for n in Set(nodes(l.outer) + l.supplies.flatMap(\.nodes)) { outside[n, default: 0] += 2 }
            for n in Set(nodes(l.inner)) { outside[n, default: 0] += 1 }
        }
        for ic in ics { for p in ic { outside[String(p.name.dropFirst(2).dropLast()), default: 0] += 2 } }
        for l in layers {
            var seen = Set<String>(), order: [String] = []
            for n in nodes(l.inner) where n != "0" && !seen.contains(n) { seen.insert(n); order.append(n) }
            let exposed = Set(l.exposed)
            // used inside this layer once; a port when used anywhere else as well
            let ports = order.filter { (outside[$0] ?? 0) > 1 || exposed.contains($0) }
            let shared = l.supplies.map(\.name) + ["vdd_bias", "bias_cn", "bias_sp", "bias_cp"]
            func rank(_ n: String) -> (Int, Int) {
                if let k = shared.firstIndex(of: n) { return (0, k) }
                if let k = l.inputs.firstIndex(of: n) { return (1, k) }
                return (2, 0)
            }
            let sorted = ports.enumerated().sorted { a, b in
                let ra = rank(a.element), rb = rank(b.element)
                return ra != rb ? ra < rb : a.offset < b.offset
            }.map(\.element)
            let sub = "bmru_layer_\(l.name)"
            comment("---------------------------------------------------------------- layer \(l.title)")
            cards.append(.subcircuit(SpiceSubcircuit(name: sub, ports: sorted, cards: l.inner)))
            for s in l.supplies { element(s) }
            element(.instance("xl_\(l.name)", sorted, sub))
            if !l.outer.isEmpty {
                comment("layer \(l.name): 0 V probes between the layer's nodes")
                cards += l.outer
            }
        }
    }

    mutating func trailer() {
        comment("---------------------------------------------------------------- initial states, saves, analysis")
        for ic in ics { cards.append(.initialConditions(ic)) }
        cards.append(.save(saves))
        switch options.analysis {
        case .transient:
            cards.append(.analysis(.transient(step: network.framePeriod / Double(options.stepsPerFrame), stop: stopTime)))
        case .operatingPoint:
            cards.append(.analysis(.operatingPoint))
        case let .dcSweep(src, a, b, st):
            cards.append(.analysis(.dcSweep(source: src, start: a, stop: b, step: st)))
        }
        comment("standalone: `ngspice -b DECK.sp` runs the analysis above and writes the raw file")
        cards.append(.control(rawPath: options.rawPath ?? "bmru.raw"))
        cards.append(.end)
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
