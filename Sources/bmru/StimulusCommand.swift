import ArgumentParser
import BMRUModel
import Foundation

struct StimulusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stimulus",
        abstract: "Write a reproducible random stimulus CSV.",
        discussion: """
        Each value is 0 with probability --density, otherwise uniform in (0, 1] model units. The same \
        --seed gives the same file on every machine.
        """)

    @Option(help: "Number of inputs (columns); or take it from --network.") var inputs: Int?
    @Option(help: "Take the number of inputs from this network file.") var network: String?
    @Option(help: "Number of frames (rows).") var frames: Int
    @Option(help: "Random seed (unsigned 64-bit).") var seed: UInt64 = 1
    @Option(help: "Fraction of values that are zero, 0...1.") var density: Double = 0
    @Option(name: .output(alias: "output"), help: "Output CSV.") var output: String

    func run() throws {
        try CLI.guarded {
            var width = inputs
            if let network {
                let n = try NetworkFile.load(path: network)
                if let w = width, w != n.inputs {
                    throw UsageFailure("--inputs \(w) disagrees with \(network), which has \(n.inputs) inputs")
                }
                width = n.inputs
            }
            guard let width else { throw UsageFailure("give --inputs N or --network NET") }
            guard (1...NetworkLimits.maxInputs).contains(width) else {
                throw UsageFailure("--inputs must be 1...\(NetworkLimits.maxInputs)")
            }
            guard (0...StimulusFile.maxFrames).contains(frames) else {
                throw UsageFailure("--frames must be 0...\(StimulusFile.maxFrames)")
            }
            guard density >= 0 && density <= 1 else { throw UsageFailure("--density must be in [0, 1]") }
            let s = StimulusFile.random(inputs: width, frames: frames, seed: seed, density: density)
            try CLI.writeAtomically(StimulusFile.csv(s), to: output, option: OutputOption.label)
        }
    }
}
