import ArgumentParser
import BMRUModel
import Foundation

struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the ideal FQ-BMRU model on a stimulus and write every layer's outputs as CSV.",
        discussion: """
        OUT has a header frame,<layer>.<i>,... with every layer's outputs in layer order (bmru layers: \
        level·s), one row per frame, values in model units with full double precision.
        """)

    @Argument(help: "The network file.") var network: String?
    @Option(help: "Stimulus CSV (header row, then one row of `inputs` numbers per frame).") var input: String?
    @Option(name: .output(alias: "output"), help: "Output CSV.") var output: String?
    @Option(help: "Also write each bmru layer's states s (0/1) as CSV here.") var states: String?
    @OptionGroup var circuit: CircuitAwareArguments

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

enum ModelCSV {
    static func outputs(_ trace: ModelTrace) -> String {
        var header = ["frame"]
        for l in trace.layers { for i in 0..<(l.outputs.first?.count ?? 0) { header.append("\(l.name).\(i)") } }
        var out = header.joined(separator: ",") + "\n"
        for t in 0..<trace.frames {
            var row = [String(t)]
            for l in trace.layers { for x in l.outputs[t] { row.append(StimulusFile.formatNumber(x)) } }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    static func states(_ trace: ModelTrace) -> String {
        let cells = trace.layers.filter { $0.states != nil }
        var header = ["frame"]
        for l in cells { for i in 0..<(l.states!.first?.count ?? 0) { header.append("\(l.name).\(i)") } }
        var out = header.joined(separator: ",") + "\n"
        for t in 0..<trace.frames {
            var row = [String(t)]
            for l in cells { row += l.states![t].map(String.init) }
            out += row.joined(separator: ",") + "\n"
        }
        return out
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
