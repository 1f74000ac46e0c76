import ArgumentParser
import BMRUModel
import Foundation

struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the ideal FQ-BMRU model (or a crossbar RNN's model) on a stimulus and write every layer's outputs as CSV.",
        discussion: """
        OUT has a header frame,<layer>.<i>,... with every layer's outputs in layer order (bmru layers: \
        level·s), one row per frame, values in model units with full double precision.
        """)

    @Argument(help: "The network file.") var network: String?
    @Option(help: "Stimulus CSV (header row, then one row of `inputs` numbers per frame).") var input: String?
    @Option(name: .output(alias: "output"), help: "Output CSV.") var output: String?
    @Option(help: "Also write each bmru layer's states s (0/1) as CSV here (crossbar networks: the ADC codes).") var states: String?
    @OptionGroup var circuit: CircuitAwareArguments

    @Option(help: "Crossbar networks: the activation as the ramp ADC computes it (quantized) or the ideal function (ideal).")
    var activation: CrossbarActivationMode = .quantized

    @Option(help: .hidden) var benchDir: String?
    @Option(help: .hidden) var benchRepeats: Int = 5
    @Option(help: .hidden) var benchKernel: String = "best"

    func run() throws {
        try CLI.guarded {
            if let dir = benchDir {
                guard IdealModel.selectKernel(benchKernel) else { throw UsageFailure("kernel \(benchKernel) not available") }
                try ModelBenchmark.run(directory: dir, repeats: benchRepeats); return }
            guard let network, let input, let output else {
                throw UsageFailure("give NETWORK, --input STIM.csv and -o/--out OUT.csv")
            }
            if CrossbarNetworkFile.format(ofFileAt: network) == CrossbarNetworkFile.formatName {
                return try runCrossbar(network: network, input: input, output: output)
            }
            let net = try NetworkFile.load(path: network)
            let stim = try StimulusFile.load(path: input, inputs: net.inputs)
            // second guard (the parser refuses it): a model run of no frames writes an empty table
            guard stim.count > 0 else { throw UsageFailure("\(input): the stimulus has no frames") }
            let trace = try circuit.run(net, stim)
            try CLI.writeAtomically(ModelCSV.outputs(trace), to: output, option: OutputOption.label)
            if let states { try CLI.writeAtomically(ModelCSV.states(trace), to: states, option: "--states") }
        }
    }
}

extension CrossbarActivationMode: ExpressibleByArgument {}

extension Model {
    /// A crossbar-rnn-network: every layer's outputs (and with --states, the ADC codes) as CSV.
    func runCrossbar(network: String, input: String, output: String) throws {
        if circuit.enabled { throw UsageFailure("--circuit-aware: not available for crossbar-rnn-network files yet") }
        let net = try CrossbarNetworkFile.load(path: network)
        let stim = try StimulusFile.load(path: input, inputs: net.inputs)
        guard stim.count > 0 else { throw UsageFailure("\(input): the stimulus has no frames") }
        let model = CrossbarModel(network: net, mode: activation)
        let outside = model.inputsOutsideRange(stim)
        if outside.count > 0, let f = outside.first.first {
            CLI.stderr("warning: \(input): \(outside.count) input values outside the network's input_range "
                       + "[\(net.inputRange.lowerBound), \(net.inputRange.upperBound)] (first: frame \(f.frame), input \(f.input): \(f.value)); "
                       + "the circuit is characterised inside it only")
        }
        let trace = model.run(stim)
        try CLI.writeAtomically(ModelCSV.outputs(trace), to: output, option: OutputOption.label)
        if let states {
            guard activation == .quantized else { throw UsageFailure("--states: ADC codes exist with --activation quantized only") }
            try CLI.writeAtomically(ModelCSV.codes(trace), to: states, option: "--states")
        }
    }
}

enum ModelCSV {
    static func outputs(_ trace: CrossbarTrace) -> String {
        table(trace.frames, trace.layers.map { l in (l.name, l.outputs.map { $0.map(StimulusFile.formatNumber) }) })
    }

    static func codes(_ trace: CrossbarTrace) -> String {
        table(trace.frames, trace.layers.map { l in (l.name, (l.codes ?? []).map { $0.map(String.init) }) })
    }

    /// frame,<layer>.<i>,... then one row per frame
    static func table(_ frames: Int, _ columns: [(name: String, rows: [[String]])]) -> String {
        var header = ["frame"]
        for c in columns { for i in 0..<(c.rows.first?.count ?? 0) { header.append("\(c.name).\(i)") } }
        var out = header.joined(separator: ",") + "\n"
        for t in 0..<frames {
            out += ([String(t)] + columns.flatMap { $0.rows[t] }).joined(separator: ",") + "\n"
        }
        return out
    }

    static func outputs(_ trace: ModelTrace) -> String {
        table(trace.frames, trace.layers.map { l in (l.name, l.outputs.map { $0.map(StimulusFile.formatNumber) }) })
    }

    static func states(_ trace: ModelTrace) -> String {
        table(trace.frames, trace.layers.compactMap { l in l.states.map { (l.name, $0.map { $0.map(String.init) }) } })
    }
}

/// `bench/model.sh`: times the model on 64 inputs -> dense 128 -> bmru 128 -> dense 10 (identity) over
/// 10 000 frames, and leaves the network, stimulus and outputs in DIR for the numpy comparison.
enum ModelBenchmark {
    static func network(seed: UInt64) -> Network {
        var g = SeededGenerator(seed: seed)
        func matrix(_ m: Int, _ n: Int, _ scale: Double) -> [[Double]] {
            (0..<m).map { _ in (0..<n).map { _ in g.nextDouble(in: -scale, scale) } }
        }
        func vector(_ m: Int, _ lo: Double, _ hi: Double) -> [Double] { (0..<m).map { _ in g.nextDouble(in: lo, hi) } }
        let pre = Layer(name: "pre", kind: .dense, weights: matrix(128, 64, 0.25), bias: vector(128, -0.1, 0.2))
        let low = vector(128, 0.1, 0.5)
        let high = low.map { $0 + g.nextDouble(in: 0, 0.5) }
        let cell = Layer(name: "cell", kind: .bmru, weights: matrix(128, 128, 0.2), bias: vector(128, -0.1, 0.2),
                         thetaLow: low, thetaHigh: high, level: vector(128, 0.5, 1.5),
                         initialState: (0..<128).map { _ in g.nextInt(below: 2) })
        let out = Layer(name: "out", kind: .dense, weights: matrix(10, 128, 0.3), bias: vector(10, -0.1, 0.1),
                        activation: .identity)
        return Network(name: "bench", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 64, layers: [pre, cell, out])
    }

    static func run(directory: String, repeats: Int) throws {
        let net = network(seed: 1)
        let frames = 10_000
        let stim = StimulusFile.random(inputs: 64, frames: frames, seed: 2, density: 0)
        try AtomicWrite.write(NetworkFile.encode(net), to: directory + "/net.json")
        try AtomicWrite.write(StimulusFile.csv(stim), to: directory + "/stim.csv")
        let model = IdealModel(network: net)
        let units = net.layers.reduce(0) { $0 + $1.outputs }
        var best = Double.infinity, bestFull = Double.infinity
        var trace: ModelTrace?
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let flat = model.runFlat(stim)
            let t1 = DispatchTime.now().uptimeNanoseconds
            trace = model.run(stim)
            let t2 = DispatchTime.now().uptimeNanoseconds
            best = min(best, Double(t1 - t0) * 1e-9)
            bestFull = min(bestFull, Double(t2 - t1) * 1e-9)
            _ = flat.outputs.count
        }
        try AtomicWrite.write(ModelCSV.outputs(trace!), to: directory + "/out.csv")
        print("frames=\(frames) units=\(units) seconds=\(best) seconds_with_trace=\(bestFull) kernel=\(IdealModel.kernelPath) cores=\(ProcessInfo.processInfo.activeProcessorCount)")
        print("frames_units_per_second=\(Double(frames * units) / best)")
    }
}
