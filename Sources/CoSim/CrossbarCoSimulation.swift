import BMRUModel
import Foundation
import Netlist
import Ngspice

// One co-simulation of a crossbar-rnn-network: emit the deck (CrossbarDeck), run it, read every layer's codes at
// the end of its conversion slots and its column outputs at the end of integration, compare with the quantized
// model (CrossbarAgreement) and measure the energy.

public struct CrossbarCoSimOptions: Sendable {
    public var deck: DeckOptions
    public var gate = CrossbarGate()
    public var programming = CrossbarProgramming()
    /// compare with this realisation (the circuit-aware model) instead of the nominal quantized model
    public var realisation: CrossbarRealisation?
    public var timeout: Double = 3600
    public var networkFile: String?
    public var networkSHA256: String?
    public var threads: Int?
    public init(deck: DeckOptions) { self.deck = deck }
}

public struct CrossbarCoSimOutcome: Sendable {
    public var report: CrossbarAgreementReport
    public var circuit: CrossbarCircuitFrames
    public var model: CrossbarTrace
    public var deck: SpiceDeck
    public var plan: CrossbarDeckPlan
    public var log: [String]
}

public enum CrossbarCoSimulation {
    public static func prepare(network: CrossbarNetwork, stimulus: Stimulus, options: CrossbarCoSimOptions) throws -> (SpiceDeck, CrossbarDeckPlan, SimulationRequest) {
        let (deck, plan): (SpiceDeck, CrossbarDeckPlan)
        do {
            (deck, plan) = try CrossbarDeck.emit(network: network, stimulus: stimulus, options: options.deck, programming: options.programming)
        } catch let e as CrossbarError {
            throw CoSimError(kind: .netlist, message: "\(e)")
        }
        var request = SimulationRequest(deck: deck.text, vectors: ["time"] + plan.layers.flatMap { $0.counterVectors + $0.columnVectors } + [plan.supplyVector],
                                        timeout: options.timeout)
        request.threads = options.threads
        return (deck, plan, request)
    }

    public static func run(network: CrossbarNetwork, stimulus: Stimulus, options: CrossbarCoSimOptions,
                           simulator: Simulator = .shared) throws -> CrossbarCoSimOutcome {
        let started = Date()
        let (deck, plan, request) = try prepare(network: network, stimulus: stimulus, options: options)
        let result: SimulationResult
        do { result = try simulator.run(request) } catch let e as SimulationError {
            throw CoSimError(kind: .simulation, message: "\(e)", lines: e.lines)
        }
        let circuit = try read(result, plan: plan, network: network, frames: stimulus.count)
        let power = energy(result, plan: plan, network: network, circuit: circuit, stimulus: stimulus)
        let report = try CrossbarAgreement.compare(network: network, stimulus: stimulus, circuit: circuit, gate: options.gate,
                                                   file: options.networkFile, sha256: options.networkSHA256, power: power,
                                                   seconds: Date().timeIntervalSince(started), realisation: options.realisation)
        return CrossbarCoSimOutcome(report: report, circuit: circuit,
                                    model: CrossbarModel(network: network).run(stimulus, realisation: options.realisation),
                                    deck: deck, plan: plan, log: result.log)
    }

    /// Codes (counter volts / count step, rounded, clamped to the ADC's codes) and pre-activations
    /// ((V_cm − v(col))·C_int / (G_unit·V_read·T_int), weight units) of every layer and frame.
    public static func read(_ result: SimulationResult, plan: CrossbarDeckPlan, network: CrossbarNetwork, frames: Int) throws -> CrossbarCircuitFrames {
        guard let time = result.vector("time") else { throw CoSimError(kind: .probe, message: "the simulation returned no time vector") }
        var codes: [String: [[Int]]] = [:], pres: [String: [[Double]]] = [:]
        let t = plan.technology
        for (k, l) in plan.layers.enumerated() {
            let reads = (0..<frames).map { plan.readTime(frame: $0, layer: k) }
            let preAt = (0..<frames).map { plan.preActivationTime(frame: $0, layer: k) }
            var c = [[Int]](repeating: [Int](repeating: 0, count: l.units), count: frames)
            var p = [[Double]](repeating: [Double](repeating: 0, count: l.units), count: frames)
            let top = (1 << network.layers[k].adcBits) - 1
            for i in 0..<l.units {
                guard let cnt = result.vector(l.counterVectors[i]), let col = result.vector(l.columnVectors[i]) else {
                    throw CoSimError(kind: .probe, message: "the simulation returned no \(l.counterVectors[i]) or \(l.columnVectors[i])")
                }
                let v = FrameSampler.sample(time: time, values: cnt, at: reads)
                let u = FrameSampler.sample(time: time, values: col, at: preAt)
                for f in 0..<frames {
                    c[f][i] = min(max(Int((v[f] / l.countStep).rounded()), 0), top)
                    p[f][i] = (t.commonMode - u[f]) * t.integrationCapacitance / (l.unitConductance * t.readVoltage * t.integrationTime)
                }
            }
            codes[l.name] = c; pres[l.name] = p
        }
        return CrossbarCircuitFrames(codes: codes, preActivations: pres)
    }

    /// Energy per frame, as average power over the network's frame period (the circuit idles, power-gated, for
    /// the rest of it): "periphery" from the supply (comparators, counters, holds, the comparator bias), "arrays"
    /// the memristors' dissipation Σ G·(V_row − V_cm)²·T_int from the programmed conductances and the rows the
    /// circuit drove (its own codes; the integrators hold the columns at V_cm), and "ramps" the ramp columns' pulses.
    static func energy(_ result: SimulationResult, plan: CrossbarDeckPlan, network: CrossbarNetwork,
                       circuit: CrossbarCircuitFrames, stimulus: Stimulus) -> [String: Double] {
        let t = plan.technology
        let frames = Double(stimulus.count)
        var out: [String: Double] = [:]
        if let time = result.vector("time"), let i = result.vector(plan.supplyVector) {
            // ngspice's source current flows from + through the source: the supply delivers −i
            let mean = Integrate.mean(time: time, values: i.map { -$0 * t.vdd })
            out["periphery"] = mean * (time.last ?? 0) / frames / network.framePeriod
        }
        var arrays = 0.0, ramps = 0.0
        for (k, l) in plan.layers.enumerated() {
            let layer = network.layers[k]
            for f in 0..<stimulus.count {
                // the value each row carried in this frame
                func value(_ row: CrossbarRow) -> Double {
                    switch row.source {
                    case let .input(j):
                        if k == 0 { return stimulus.frames[f][j] }
                        return network.layers[k - 1].adc.value(code: circuit.codes[network.layers[k - 1].name]![f][j])
                    case let .recurrent(j):
                        return f == 0 ? (layer.initialState?[j] ?? 0) : layer.adc.value(code: circuit.codes[layer.name]![f - 1][j])
                    case .bias: return 1
                    }
                }
                for (r, row) in l.mapping.rows.enumerated() {
                    let v = t.readVoltage * value(row) / row.fullScale
                    for i in 0..<l.units { arrays += (l.mapping.positive[i][r] + l.mapping.negative[i][r]) * v * v * t.integrationTime }
                }
            }
            let perConversion = l.program.steps.reduce(0.0) { $0 + $1.total * t.readVoltage * t.readVoltage * t.rampPulseTime }
            ramps += perConversion * frames
        }
        out["arrays"] = arrays / frames / network.framePeriod
        out["ramps"] = ramps / frames / network.framePeriod
        out["total"] = out.values.reduce(0, +)
        return out
    }
}
