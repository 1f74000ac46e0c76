import ArgumentParser
import Batch
import BMRUModel
import CoSim
import Foundation
import Netlist

struct NoiseCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noise",
        abstract: "Noise immunity: error at each cell boundary against σ, and error accumulation against a continuous-state baseline.",
        discussion: """
        bmru noise NET --input STIM.csv --out DIR [--sources input,device,mismatch] [--sigma 0.02,0.05,0.1,0.2] \
        [--samples N] [--frames 500] [--resume]

        Simulates the circuit once without noise, then for every source and σ (and all sources together): input \
        noise on the stimulus, noise currents drawn in bmru at every cell's candidate and state node (written into \
        the deck as PWL sources, reproducible by seed), or a shared mismatch sample. Each run is measured against \
        the noiseless circuit (and, beside it, the ideal model on the clean stimulus); the error at each cell's \
        input (candidate) and output, their ratio and the flip rate go to DIR/noise.json and DIR/noise.html with \
        their definitions. Two runs on the \
        stimulus repeated to --frames measure accumulation, beside a continuous-state baseline (behavioural) \
        under the same draws. Runs are kept in DIR/runs/ and reused by --resume. Progress on stderr.

        Exit status: 0 when the study completed; 2 for invalid input or a failed simulation; 130 when interrupted.
        """)

    @Argument(help: "The network file.") var network: String
    @Option(help: "Stimulus CSV (one row per frame, model units).") var input: String
    @Option(name: .output(), help: "The study folder (created when missing).") var out: String
    @Option(help: "Noise sources, comma separated: input, device, mismatch.") var sources: String = "input,device"
    @Option(help: "σ values of the sweep, units, comma separated (each in (0, 10]).") var sigma: String = "0.02,0.05,0.1,0.2"
    @Option(help: "Noise seeds per source and σ.") var samples: Int = 1
    @Option(help: "Seed of every draw.") var seed: UInt64 = 1
    @Option(help: "Frames of the accumulation runs (the stimulus is repeated to at least this many).") var frames: Int = 500
    @Option(name: .customLong("accumulation-sigma"), help: "σ of the accumulation runs (default: the suppression's σ and the largest flip-free σ).")
    var accumulationSigma: Double?
    @Option(name: .customLong("draws-per-frame"), help: "Device noise draws per frame period.") var drawsPerFrame: Int = 10
    @OptionGroup var conditions: CircuitConditions
    @OptionGroup var calibrationArguments: CalibrationArguments
    @Option(help: "Wall-clock limit per simulation, seconds.") var timeout: Double = 3600
    @Flag(help: "Continue a study folder: finished runs are kept.") var resume = false

    func run() throws {
        let result: NoiseStudyResult = try CLI.guarded {
            let kinds = try sources.split(separator: ",").map { s -> NoiseSourceKind in
                guard let k = NoiseSourceKind(rawValue: s.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageFailure("--sources \(sources): '\(s)' is not a source (input, device, mismatch)")
                }
                return k
            }
            guard !kinds.isEmpty, Set(kinds).count == kinds.count else { throw UsageFailure("--sources: name each source once") }
            let sigmas = try sigma.split(separator: ",").map { s -> Double in
                guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0, v <= 10 else {
                    throw UsageFailure("--sigma \(sigma): '\(s)' is not a σ in (0, 10] units")
                }
                return v
            }
            guard !sigmas.isEmpty, Set(sigmas).count == sigmas.count else { throw UsageFailure("--sigma: give different values") }
            guard (1...100).contains(samples) else { throw UsageFailure("--samples: must be in 1...100") }
            guard (1...100_000).contains(frames) else { throw UsageFailure("--frames: must be in 1...100000") }
            guard (1...1000).contains(drawsPerFrame) else { throw UsageFailure("--draws-per-frame: must be in 1...1000") }
            if let a = accumulationSigma, !(a.isFinite && a > 0 && a <= 10) { throw UsageFailure("--accumulation-sigma: must be in (0, 10]") }
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            let netPath = ModelFiles.absolute(network)
            let net = try NetworkFile.load(path: netPath)
            let stimPath = ModelFiles.absolute(input)
            let stim = try StimulusFile.load(path: stimPath, inputs: net.inputs)
            try CLI.checkOperatingRange(net, file: netPath, stimulus: stim, stimulusFile: stimPath)
            guard net.layers.contains(where: { $0.kind == .bmru }) else { throw UsageFailure("\(netPath): the network has no bmru layer (no cell boundary to measure)") }
            try calibrationArguments.preflight()
            let dir = ModelFiles.directory(option: conditions.models)
            try ModelFiles.require(dir)
            var c = CoSimOptions(modelsDirectory: dir)
            c.corner = conditions.corner; c.vdd = conditions.vdd; c.temperature = conditions.temp; c.timeout = timeout
            c.networkFile = netPath
            c.networkSHA256 = SHA256.hex(FileManager.default.contents(atPath: netPath) ?? Data())
            c.generatorVersion = ToolVersion.string
            c.calibration = try calibrationArguments.resolve(corner: conditions.corner, modelsDirectory: dir, temperature: conditions.temp)
            var o = NoiseStudyOptions(cosim: c)
            o.sources = kinds; o.sigmas = sigmas; o.samples = samples; o.seed = seed
            o.accumulationFrames = frames; o.accumulationSigma = accumulationSigma; o.drawsPerFrame = drawsPerFrame
            if kinds.contains(.mismatch) {
                guard let cal = c.calibration ?? CoSimCalibrationArguments.tables(corner: conditions.corner, dir: dir, temperature: conditions.temp) else {
                    throw UsageFailure("--sources mismatch needs calibration tables for corner \(conditions.corner.rawValue) (their A_VT): run `bmru calibrate --corner \(conditions.corner.rawValue)` or pass --calibration FILE")
                }
                o.avt = (cal.devices.nmosAVT, cal.devices.pmosAVT)
            }
            let outDir = ModelFiles.absolute(out)
            let optionsText = "network \(c.networkSHA256 ?? "") stimulus \(SHA256.hex(FileManager.default.contents(atPath: stimPath) ?? Data())) "
                + "sources \(sources) sigma \(sigma) samples \(samples) seed \(seed) frames \(frames) accumulation_sigma \(accumulationSigma.map { "\($0)" } ?? "auto") "
                + "draws \(drawsPerFrame) corner \(conditions.corner.rawValue) vdd \(conditions.vdd) temp \(conditions.temp) calibration \(c.calibration == nil ? "none" : calibrationArguments.calibration ?? "default")\n"
            try StudyFolder.open(outDir, command: "noise", files: ["runs", "noise.json", "noise.html"],
                                 optionsFile: "noise-options.txt", options: optionsText, resume: resume)
            let total = NoiseStudy.plan(o).count + 2
            CLI.stderr("noise: \(net.name), \(stim.count) frames, \(total) simulations (sources \(kinds.map(\.rawValue).joined(separator: ", ")), σ \(sigma), accumulation over ≥ \(frames) frames)")
            let started = Date()
            var simulated = 0.0, ran = 0
            let r = try NoiseStudy.run(network: net, stimulus: stim, options: o, in: outDir, resume: resume) { done, total, id, seconds in
                if seconds > 0 { simulated += seconds; ran += 1 }
                let elapsed = Date().timeIntervalSince(started)
                var line = "noise: \(done)/\(total) \(id)"
                if seconds > 0 { line += String(format: " (%.1f s)", seconds) }
                if ran > 0, done < total {
                    line += String(format: ", %.2f runs/min, about %@ left", Double(ran) / max(elapsed, 1e-9) * 60,
                                   ProgressPrinter.duration(simulated / Double(ran) * Double(total - done)))
                }
                CLI.stderr(line)
            }
            try AtomicWrite.writeTogether([(outDir + "/noise.json", try r.json()), (outDir + "/noise.html", Data(NoiseStudyPage.html(r).utf8))])
            return r
        }
        print("| layer | source | σ | input error RMS | output error RMS | ratio | ratio (state kept) | flip rate | reference | flip rate vs model |\n|---|---|---|---|---|---|---|---|---|---|")
        for c in result.cells {
            print(String(format: "| %@ | %@ | %.3g | %.4g | %.4g | %@ | %@ | %.2f %% | %@ | %.2f %% |", c.layer, c.source, c.sigma, c.input_error_rms, c.output_error_rms,
                         c.ratio.map { String(format: "%.3g", $0) } ?? "–", c.ratio_state_kept.map { String(format: "%.3g", $0) } ?? "–", c.flip_rate * 100,
                         c.reference, c.flip_rate_vs_model * 100))
        }
        let s = result.suppression
        print("suppression: " + (s.value.map { String(format: "%.1f×", $0) } ?? "not defined")
              + (s.sigma.map { String(format: " at σ = %.3g (%@), flip rate %.2f %%", $0, s.source ?? "", (s.flip_rate ?? 0) * 100) } ?? ""))
        if s.sigma != nil {
            print(String(format: "  flipped pairs included: %.3g×", s.ratio_all_pairs ?? .nan)
                  + (s.flip_free_sigma.map { String(format: "; no flip at all at σ = %.3g: %.3g×", $0, s.flip_free_value ?? .nan) } ?? ""))
        }
        for a in [result.accumulation] + result.accumulation_more {
            for t in [a.bmru, a.bmru_noiseless, a.baseline] {
                print(String(format: "accumulation σ = %.3g, %@: first quarter %.4g, last quarter %.4g units RMS (× %.3g), slope %.3g per frame", a.sigma, t.kind,
                             t.first_quarter_rms, t.last_quarter_rms, t.growth ?? .nan, t.slope_per_frame))
            }
        }
        for p in result.device_noise_physical {
            print(String(format: "device shot noise, %@: σ = %.2g units at a mean candidate of %.3g nA", p.layer, p.shot_sigma_units, p.mean_candidate_a * 1e9))
        }
        print("report: \(ModelFiles.absolute(out))/noise.html (noise.json beside it)")
    }
}
