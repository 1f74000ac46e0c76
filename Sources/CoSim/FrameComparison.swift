// One co-simulation's frame-by-frame comparison: circuit vectors sampled at frame ends against the model's trace,
// in steps (state mismatches, per layer currents and states, decisions, supply power, path dependence) that
// `CoSimulation.analyse` runs in order and assembles into the report.

import BMRUModel
import Foundation
import Netlist
import Ngspice

struct FrameComparison {
    let network: Network
    let trace: ModelTrace
    let deck: EmittedDeck
    let result: SimulationResult
    let options: CoSimOptions
    let time: [Double]
    let sampler: FrameSampler
    let frames: Int
    let unitA: Double
    let vHalf: Double

    var series: [CoSimTraces.Series] = []
    var waveforms: [String: (time: [Double], volts: [Double])] = [:]
    var ambiguousFrames: [String: Set<Int>] = [:]
    var thresholdsByName: [String: (low: Double, high: Double)] = [:]
    var layerReports: [String: AgreementReport.LayerCurrents] = [:]
    var pairs = 0, agreeing = 0, ambiguousCount = 0
    var ambiguousList: [AgreementReport.AmbiguousPair] = []
    var firstDivergence: AgreementReport.Divergence?
    var unitsTotal = 0
    /// Frames where some bmru state differs between circuit and model: there the currents differ by whole
    /// output levels, which says nothing about how well the mirrors copy. Current errors leave them out
    /// (the states are judged by the state agreement).
    var stateMismatchFrames = Set<Int>()
    /// frames where an ambiguous (excused) state pair differs: downstream of it the outputs differ by a whole
    /// level for a reason the state agreement already excuses, so the frame decision is not compared there
    var excusedDifferenceFrames = Set<Int>()
    /// the circuit's state per (layer index, unit), per frame (for the noise robustness)
    var circuitStates: [[Int]: [Int]] = [:]

    init(network: Network, frames: Int, trace: ModelTrace, deck: EmittedDeck, result: SimulationResult, options: CoSimOptions) throws {
        guard let time = result.vector("time"), time.count >= 2 else {
            throw CoSimError(kind: .probe, message: "the simulation returned no time vector")
        }
        self.network = network; self.trace = trace; self.deck = deck; self.result = result; self.options = options
        self.time = time
        self.frames = frames
        sampler = FrameSampler(time: time, framePeriod: network.framePeriod, frames: frames)
        unitA = network.unitCurrent
        vHalf = options.vdd / 2
    }

    func circuitVector(_ probe: String) throws -> [Double] {
        guard let v = result.vector(probe) else {
            throw CoSimError(kind: .probe, message: "probe \(probe) is missing from the simulation results")
        }
        return v
    }

    func probe(_ kind: String, _ layer: String, _ unit: Int) -> String? {
        deck.mapping.probes.first { $0.kind == kind && $0.layer == layer && $0.unit == unit }?.vector
    }

    mutating func findStateMismatches() {
        for (li, layer) in network.layers.enumerated() where layer.kind == .bmru {
            guard let states = trace.layers[li].states else { continue }
            for j in 0..<layer.outputs {
                guard let v = result.vector("v(s_\(layer.name.lowercased())_\(j))") else { continue }
                for (t, volts) in sampler.sample(v).enumerated() where (volts > vHalf ? 1 : 0) != states[t][j] {
                    stateMismatchFrames.insert(t)
                }
            }
        }
    }

    /// The circuit output current of unit j per frame, model units (identity: positive minus negative sum).
    func circuitOutput(_ layer: Layer, _ j: Int) throws -> [Double] {
        let L = layer.name.lowercased()
        if layer.kind == .dense && layer.activation == .identity {
            guard let p = probe("output_current_positive", L, j), let n = probe("output_current_negative", L, j) else {
                throw CoSimError(kind: .probe, message: "the deck has no output probes for \(layer.name)[\(j)]")
            }
            let pv = sampler.sample(try circuitVector(p)), nv = sampler.sample(try circuitVector(n))
            return zip(pv, nv).map { ($0 - $1) / unitA }
        }
        guard let o = probe("output_current", L, j) else {
            throw CoSimError(kind: .probe, message: "the deck has no output probe for \(layer.name)[\(j)]")
        }
        return sampler.sample(try circuitVector(o)).map { $0 / unitA }
    }

    /// Currents of every unit of layer `li`, and the states of a bmru layer; its entry in `layerReports`.
    mutating func compareLayer(_ li: Int) throws {
        let layer = network.layers[li], lt = trace.layers[li]
        var errSq = 0.0, modelSq = 0.0, maxErr = 0.0, count = 0
        var layerPairs = 0, layerAgree = 0
        for j in 0..<layer.outputs {
            let circuitOut = try circuitOutput(layer, j)
            let modelOut = (0..<frames).map { lt.outputs[$0][j] }
            for t in 0..<frames where !stateMismatchFrames.contains(t) {
                let e = (circuitOut[t] - modelOut[t]) * unitA
                errSq += e * e
                modelSq += (modelOut[t] * unitA) * (modelOut[t] * unitA)
                maxErr = max(maxErr, abs(e))
                count += 1
            }
            series.append(.init(name: "\(layer.name)[\(j)].current", layer: layer.name, unit: j, quantity: "current",
                                circuit: circuitOut, model: modelOut))
            if layer.kind == .bmru, let counted = try compareStates(li, j) {
                layerPairs += counted.compared
                layerAgree += counted.agreeing
            }
        }
        let rms = count > 0 ? (errSq / Double(count)).squareRoot() : 0
        let modelRms = count > 0 ? (modelSq / Double(count)).squareRoot() : 0
        layerReports[layer.name] = .init(kind: layer.kind == .bmru ? "bmru" : "dense",
                                         rms_error_a: rms, max_abs_error_a: maxErr,
                                         rms_rel_error: modelRms > 0 ? rms / modelRms : nil,
                                         model_rms_a: modelRms,
                                         frames_compared: frames - stateMismatchFrames.count,
                                         state_agreement: layer.kind == .bmru ? (layerPairs > 0 ? Double(layerAgree) / Double(layerPairs) : 1) : nil)
    }

    /// The states of bmru unit j of layer `li`, frame by frame: (pairs compared, pairs agreeing); nil when the
    /// model has no states for it.
    mutating func compareStates(_ li: Int, _ j: Int) throws -> (compared: Int, agreeing: Int)? {
        let layer = network.layers[li], lt = trace.layers[li]
        guard let states = lt.states, let cands = lt.candidates, let lo = layer.thetaLow?[j], let hi = layer.thetaHigh?[j] else {
            return nil
        }
        let L = layer.name.lowercased()
        unitsTotal += 1
        let stateVector = try circuitVector("v(s_\(L)_\(j))")
        let circuitState = sampler.sample(stateVector).map { $0 > vHalf ? 1 : 0 }
        circuitStates[[li, j]] = circuitState
        var circuitCandidate: [Double]?
        if let c = probe("candidate_current", L, j), let v = result.vector(c) {
            circuitCandidate = sampler.sample(v).map { $0 / unitA }
        }
        let name = "\(layer.name)[\(j)]"
        thresholdsByName[name] = (lo, hi)
        var amb = Set<Int>()
        var compared = 0, agree = 0
        // A state decided on an ambiguous frame is remembered by the hysteresis: while the candidate
        // then stays inside the band (θ_low, θ_high) both sides hold what they decided, so a difference
        // there is inherited from the ambiguous frame, not a new error. It ends when the candidate
        // leaves the band and the input alone decides the state again.
        var inherited = false
        for t in 0..<frames {
            let c = cands[t][j]
            let ms = states[t][j], cs = circuitState[t]
            let nearThreshold = abs(c - lo) <= options.margin || abs(c - hi) <= options.margin
            let inBand = c >= lo && c <= hi
            if nearThreshold || (inherited && inBand) {
                if nearThreshold { inherited = (cs != ms) }
                if cs != ms { excusedDifferenceFrames.insert(t) }
                ambiguousCount += 1
                amb.insert(t)
                if ambiguousList.count < 200 {
                    ambiguousList.append(.init(layer: layer.name, unit: j, frame: t, candidate: c, circuit_state: cs, model_state: ms,
                                               reason: nearThreshold ? "near_threshold" : "held_after_ambiguous"))
                }
                continue
            }
            inherited = false
            pairs += 1
            compared += 1
            if ms == cs {
                agreeing += 1
                agree += 1
            } else if firstDivergence == nil || t < firstDivergence!.frame {
                firstDivergence = .init(frame: t, layer: layer.name, unit: j, circuit_state: cs, model_state: ms,
                                        model_candidate: c, circuit_candidate: circuitCandidate?[t],
                                        theta_low: lo, theta_high: hi)
            }
        }
        ambiguousFrames[name] = amb
        series.append(.init(name: "\(name).state", layer: layer.name, unit: j, quantity: "state",
                            circuit: circuitState.map(Double.init), model: (0..<frames).map { Double(states[$0][j]) }))
        series.append(.init(name: "\(name).candidate", layer: layer.name, unit: j, quantity: "candidate",
                            circuit: circuitCandidate ?? [], model: (0..<frames).map { cands[$0][j] }))
        waveforms[name] = Decimate.series(time: time, values: stateVector, maxPoints: 1500)
        return (compared, agree)
    }

    /// The circuit's last-layer outputs per frame (model units), for the decisions and the noise robustness.
    func circuitOutputs() -> [[Double]]? {
        network.layers.last.map { last in
            let cols = (0..<last.outputs).map { j in
                series.first { $0.layer == last.name && $0.unit == j && $0.quantity == "current" }!.circuit }
            return (0..<frames).map { t in cols.map { $0[t] } }
        }
    }

    /// Decisions from the last layer: the report's decision block and the frame agreement (1 without a decision).
    func decisions() -> (AgreementReport.Decision?, Double) {
        guard let last = network.layers.last, last.outputs >= 2, let circuitRows = circuitOutputs() else { return (nil, 1) }
        let modelRows = trace.layers.last!.outputs
        let ca = circuitRows.map(Decisions.argmax), ma = modelRows.map(Decisions.argmax)
        // a frame whose model outputs are within the decision margin of each other has no clear winner: such frames
        // are counted as ambiguous and left out of the frame agreement, like ambiguous states; so are frames where
        // an ambiguous state pair differs (the outputs then differ by a level the state agreement excuses)
        var considered = 0, agree = 0, tied = 0
        for t in 0..<frames {
            let top = modelRows[t].map(abs).max() ?? 0
            if Decisions.gap(modelRows[t]) <= max(options.margin, options.decisionMargin * top) { tied += 1; continue }
            if excusedDifferenceFrames.contains(t) { tied += 1; continue }
            considered += 1
            if ca[t] == ma[t] { agree += 1 }
        }
        let agreement = considered > 0 ? Double(agree) / Double(considered) : 1
        let cs = Decisions.majority(ca, classes: last.outputs), ms = Decisions.majority(ma, classes: last.outputs)
        return (.init(frame_agreement: agreement, ambiguous_frames: tied, circuit_sequence_decision: cs,
                      model_sequence_decision: ms, sequence_agrees: cs == ms), agreement)
    }

    /// Supply power: the average of −i(vdd…) · VDD over the run, per layer and "bias" (`power_w`), and by function
    /// (`power_parts`); adds each supply's series. A bmru layer's cell supply feeds its comparators and level
    /// copies; the level copies' share is the mean of their output currents (each flows from the cell supply
    /// through the unit's output probe) times VDD, the comparators' the rest.
    mutating func supplyPower() -> (perSupply: [String: Double], parts: [AgreementReport.PowerPart]) {
        var watts: [String: Double] = [:]   // by probe vector
        for p in deck.mapping.probes where p.kind.hasSuffix("supply_current") {
            guard let v = result.vector(p.vector) else { continue }
            watts[p.vector] = abs(Integrate.mean(time: time, values: v)) * options.vdd
            // "<layer>.supply", "<layer>.cell_supply", "<layer>.reference_supply", "bias.supply"
            let name = (p.layer ?? "bias") + "." + p.kind.replacingOccurrences(of: "_current", with: "")
            series.append(.init(name: name, layer: p.layer ?? "bias", unit: nil, quantity: "supply",
                                circuit: sampler.sample(v).map { abs($0) * options.vdd }, model: nil))
        }
        func supply(_ kind: String, _ layer: String?) -> Double {
            deck.mapping.probes.first { $0.kind == kind && $0.layer == layer }.flatMap { watts[$0.vector] } ?? 0
        }
        var power: [String: Double] = [:], parts: [AgreementReport.PowerPart] = []
        var bias = supply("supply_current", nil)
        for layer in network.layers {
            let L = layer.name.lowercased()
            let main = supply("supply_current", L), cells = supply("cell_supply_current", L), refs = supply("reference_supply_current", L)
            power[layer.name] = main + cells
            bias += refs
            if layer.kind == .bmru {
                var level = 0.0
                for j in 0..<layer.outputs {
                    if let o = probe("output_current", L, j), let v = result.vector(o) {
                        level += abs(Integrate.mean(time: time, values: v)) * options.vdd
                    }
                }
                level = min(level, cells)
                parts += [.init(layer: layer.name, part: "candidate_matrix", watts: main),
                          .init(layer: layer.name, part: "comparators", watts: cells - level),
                          .init(layer: layer.name, part: "level_copies", watts: level)]
            } else {
                parts.append(.init(layer: layer.name, part: "mirrors", watts: main))
            }
            if refs > 0 { parts.append(.init(layer: layer.name, part: "references", watts: refs)) }
        }
        parts.append(.init(layer: nil, part: "bias_generator", watts: supply("supply_current", nil)))
        power["bias"] = bias
        // summed in the deck's probe order: the same report for the same run
        power["total"] = deck.mapping.probes.compactMap { watts[$0.vector] }.reduce(0, +)
        return (power, parts)
    }

    /// The one-step agreement: each frame's states predicted by the ideal model from the circuit's own states of
    /// the frame before, against the circuit's; pairs whose one-step candidate lies within the margin of a threshold
    /// are left out. nil without bmru layers.
    func oneStep(_ stimulus: Stimulus) -> AgreementReport.OneStep? {
        var observed: [Int: [[Int]]] = [:]
        for (li, layer) in network.layers.enumerated() where layer.kind == .bmru {
            var rows = [[Int]](repeating: [Int](repeating: 0, count: layer.outputs), count: frames)
            for j in 0..<layer.outputs {
                guard let s = circuitStates[[li, j]] else { return nil }
                for t in 0..<frames { rows[t][j] = s[t] }
            }
            observed[li] = rows
        }
        guard !observed.isEmpty else { return nil }
        let p = IdealModel(network: network).oneStep(stimulus, observed: observed,
                                                     substeps: options.pathFollowing && options.behaviouralModel == nil ? CoSimulation.pathSubsteps : 1)
        var pairs = 0, agree = 0, ambiguous = 0
        for (li, rows) in observed {
            let layer = network.layers[li]
            for t in 0..<frames {
                for j in 0..<layer.outputs {
                    let c = p.candidates[li]![t][j], lo = layer.thetaLow![j], hi = layer.thetaHigh![j]
                    if abs(c - lo) <= options.margin || abs(c - hi) <= options.margin { ambiguous += 1; continue }
                    pairs += 1
                    if p.states[li]![t][j] == rows[t][j] { agree += 1 }
                }
            }
        }
        return .init(agreement: pairs > 0 ? Double(agree) / Double(pairs) : 1, pairs: pairs, ambiguous: ambiguous)
    }

    /// Frames whose state depends on the path between frames (the ideal model on the simulated stimulus); marks
    /// the first divergence when it follows one.
    mutating func pathDependence(_ stimulus: Stimulus) -> AgreementReport.PathDependence? {
        let hazards = IdealModel(network: network).pathHazards(stimulus, substeps: CoSimulation.pathSubsteps)
        guard !hazards.isEmpty else { return nil }
        if var d = firstDivergence {
            d.path_dependent_from = hazards.filter { $0.layer == d.layer && $0.unit == d.unit && $0.frame <= d.frame }.last?.frame
            firstDivergence = d
        }
        return .init(substeps: CoSimulation.pathSubsteps, count: hazards.count, pairs: Array(hazards.prefix(200)))
    }
}
