import ArgumentParser
import BMRUModel
import Foundation
import Netlist

extension Corner: ExpressibleByArgument {}

struct NetlistCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netlist",
        abstract: "Write the GF180MCU transistor-level SPICE deck of a network (and its parameter mapping).",
        discussion: """
        Writes DECK.sp and DECK.mapping.json (every learned parameter, the element(s) realising it, the \
        width or current given, and the realisation error); missing folders are created. `ngspice -b DECK.sp` \
        runs the deck alone and writes DECK.raw beside it. Same inputs -> byte-identical files.

        Probes: v(s_<L>_<i>) states, i(vo_<L>_<i>) outputs (identity: _p/_n), i(vc_<L>_<i>) candidates, \
        iin_<i> inputs; supplies i(vdd_<L>) (mirrors), i(vddcell_<L>) (cells), i(vddref_<L>) (references), \
        i(vdd_bias) (bias generator).
        """)

    @Argument(help: "The network file.") var network: String
    @Option(help: "Stimulus CSV; without it the inputs are 0 and the deck runs one frame.") var input: String?
    @Option(name: .output(alias: "output"), help: ArgumentHelp("The deck to write; DECK.mapping.json goes beside it (missing folders are created).", valueName: "DECK.sp")) var output: String
    @OptionGroup var conditions: CircuitConditions
    @OptionGroup var calibrationArguments: CalibrationArguments
    /// bench/netlist.sh: emit this many extra times in-process and print the seconds per emission
    @Option(help: .hidden) var benchRepeats: Int = 0

    func run() throws {
        try CLI.guarded {
            let netPath = ModelFiles.absolute(network)
            let net = try NetworkFile.load(path: netPath)
            let data = FileManager.default.contents(atPath: netPath) ?? Data()
            let stim = try input.map { try StimulusFile.load(path: ModelFiles.absolute($0), inputs: net.inputs) }
            try CLI.checkOperatingRange(net, file: netPath, stimulus: stim, stimulusFile: input.map { ModelFiles.absolute($0) })
            try calibrationArguments.preflight()
            let dir = ModelFiles.directory(option: conditions.models)
            try ModelFiles.require(dir)
            let deckPath = ModelFiles.absolute(output)
            let base = deckPath.hasSuffix(".sp") ? String(deckPath.dropLast(3)) : deckPath
            try ModelFiles.requireUsableOutput(deckPath, option: OutputOption.label, rawPath: ModelFiles.rawPath(base + ".raw"))
            try OutputPath.check(deckPath, option: OutputOption.label)
            var opts = DeckOptions(corner: conditions.corner, vdd: conditions.vdd, temperature: conditions.temp, modelsDirectory: dir,
                                   networkSHA256: SHA256.hex(data), rawPath: ModelFiles.rawPath(base + ".raw"),
                                   generatorVersion: ToolVersion.string)
            opts.calibration = try calibrationArguments.resolve(corner: conditions.corner, modelsDirectory: dir, temperature: conditions.temp)
            let deck: EmittedDeck
            do {
                deck = try DeckEmitter.emit(network: net, stimulus: stim, options: opts)
            } catch let e as NetlistError {
                let file = e.kind == .invalidStimulus ? input.map { ModelFiles.absolute($0) } ?? netPath : netPath
                throw UsageFailure("\(file): \(e.field): \(e.reason)")
            }
            if benchRepeats > 0 {
                let start = Date()
                for _ in 0..<benchRepeats { _ = try DeckEmitter.emit(network: net, stimulus: stim, options: opts) }
                let per = Date().timeIntervalSince(start) / Double(benchRepeats)
                print("emit_seconds=\(per) deck_bytes=\(deck.text.utf8.count) parameters=\(deck.mapping.parameters.count)")
            }
            // both files are complete before either is renamed into place; a failure leaves neither (and the old ones)
            try CLI.writeTogether([(base + ".mapping.json", deck.mappingJSON), (deckPath, Data(deck.text.utf8))], option: OutputOption.label)
            CLI.stderr("wrote \(deckPath) (\(deck.frames) frames, \(deck.stopTime) s) and \(base).mapping.json")
            if opts.rawPath != base + ".raw" {
                CLI.stderr("note: the folder's path has a space, which ngspice's write cannot take; run `ngspice -b` from the deck's folder and it writes \(opts.rawPath ?? "") there")
            }
        }
    }
}
