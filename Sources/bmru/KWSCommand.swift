import ArgumentParser
import BMRUModel
import Foundation
import KWS

/// `bmru kws synth|features|eval`: keyword-spotting data, features and evaluation.
struct KWSGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kws",
        abstract: "Keyword spotting: synthesise a speech dataset, compute MFCC stimuli, evaluate a network.",
        subcommands: [KWSSynth.self, KWSFeatures.self, KWSEval.self])
}

enum KWSCLI {
    static func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    /// Loads a dataset with progress and a per-file report of skipped audio.
    /// The MFCC extractor with `offset` added to the z-scores; refuses a non-finite or negative offset.
    static func extractor(offset: Double) throws -> MFCCExtractor {
        guard offset.isFinite, offset >= 0 else { throw UsageFailure("--feature-offset must be a finite number ≥ 0") }
        var c = MFCCConfig(); c.offset = offset
        return MFCCExtractor(config: c)
    }

    /// Warns when the network's training metadata says its inputs had another feature offset: `feature_offset`
    /// (written by `bmru train` since the offset exists), or a `features` text without "plus" (trained before it: 0).
    static func checkOffset(network: Network, file: String, offset: Double) {
        guard let text = network.metadataJSON, let d = text.data(using: .utf8),
              let meta = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return }
        var trained: Double? = meta["feature_offset"] as? Double
        if trained == nil, let f = meta["features"] as? String, f.contains("MFCC"), !f.contains("plus") { trained = 0 }
        if let t = trained, t != offset {
            note("warning: \(file) was trained with feature offset \(t), evaluating with \(offset) (use --feature-offset \(t))")
        }
    }

    static func loadDataset(_ dir: String, featureOffset: Double = MFCCConfig.defaultOffset) throws -> KWSDataset {
        let t0 = Date()
        let ds = try SpeechCommands.load(root: dir, extractor: try extractor(offset: featureOffset), progress: { note($0) })
        for s in ds.skipped.prefix(20) { note("skipped \(s)") }
        if ds.skipped.count > 20 { note("... and \(ds.skipped.count - 20) more") }
        let counts = DataSplit.allCases.map { "\($0.rawValue) \(ds.clips($0).count)" }.joined(separator: ", ")
        note("loaded \(ds.clips.count) clips (\(counts)); skipped \(ds.skipped.count) bad files; features in "
             + String(format: "%.1f s", Date().timeIntervalSince(t0)))
        return ds
    }

    static func format(_ e: Evaluation) -> String {
        var s = String(format: "accuracy %.4f (%d/%d)\n", e.accuracy, e.correct, e.total)
        s += "confusion (rows: true, columns: decided)\n"
        s += "            other    yes\n"
        s += String(format: "  other  %7d %6d\n", e.confusion[0][0], e.confusion[0][1])
        s += String(format: "  yes    %7d %6d\n", e.confusion[1][0], e.confusion[1][1])
        s += "by word (decided other / yes)\n"
        for w in KWSWord.allCases { if let c = e.byWord[w] { s += "  \(w.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(c[0]) / \(c[1])\n" } }
        s += String(format: "dense-layer mirror current: %.2f units per frame on average (those layers draw about twice this from VDD)\n", e.meanDenseCurrent)
        return s
    }
}

struct KWSSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a Speech Commands style dataset spoken by espeak-ng voices (needs espeak-ng).",
        discussion: """
        Words yes, no, up, down, left, right, each spoken --per-word times by espeak-ng English accents \
        combined with voice variants, random speeds and pitches, resampled to 16 kHz, placed at a random \
        onset in a 1 s clip with noise (white, pink, brown or hum) at a random SNR; plus background noise \
        files (_background_noise_/) for silence clips. Voices (variants) are split so test and validation \
        voices are never heard in training (validation_list.txt, testing_list.txt). Deterministic for a \
        seed and an espeak-ng installation; an interrupted run resumes in the same directory.
        """)
    @Option(name: .output(), help: "Output directory (created when missing).") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Clips per word (also the number of 1 s silence segments).") var perWord: Int = 300
    @Option(help: "Lowest SNR of the added noise, dB.") var snrMin: Double = 10
    @Option(help: "Highest SNR of the added noise, dB.") var snrMax: Double = 40

    func run() throws {
        try CLI.guarded {
            guard snrMin <= snrMax else { throw UsageFailure("--snr-min must be ≤ --snr-max") }
            try OutputPath.makeFolder(out, option: OutputOption.label)
            var o = SynthOptions()
            o.seed = seed; o.perWord = perWord; o.snrMin = snrMin; o.snrMax = snrMax
            let t0 = Date()
            let r = try SpeechSynth.synthesize(options: o, outDir: out, progress: { KWSCLI.note($0) })
            for f in r.failed.prefix(20) { KWSCLI.note("failed \(f)") }
            KWSCLI.note("voices: " + DataSplit.allCases.map { "\($0.rawValue) \(r.voices[$0]?.count ?? 0)" }.joined(separator: ", ")
                        + "; test voices: " + (r.voices[.test] ?? []).joined(separator: " "))
            print("wrote \(r.clipsWritten) new clips (\(r.clipsKept) present, \(r.failed.count) failed) to \(out) in "
                  + String(format: "%.1f s", Date().timeIntervalSince(t0)))
        }
    }
}

struct KWSFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute 13 MFCCs per 10 ms frame of a WAV clip and write them as a stimulus CSV.",
        discussion: """
        Mono WAV (PCM or float); other sample rates are resampled to 16 kHz. 25 ms Hann window, 512-point \
        FFT, hop 160 samples, 40 mel bands (20 Hz - 8 kHz), log, DCT-II, z-normalised per coefficient over \
        the clip, plus 2 (inputs are non-negative currents; the offset keeps values down to 2 standard \
        deviations below the mean): a 1 s clip gives 101 frames. Values are in model units (the network \
        clips them at 0).
        """)
    @Argument(help: "The WAV clip.") var clip: String
    @Option(name: .output(alias: "output"), help: "Output stimulus CSV.") var output: String
    @Option(name: .customLong("feature-offset"), help: "Added to the z-scores (0 for networks trained before the offset was introduced).") var featureOffset: Double = MFCCConfig.defaultOffset

    func run() throws {
        try CLI.guarded {
            let a = try WAVFile.read(path: clip)
            guard a.channels == 1 else { throw KWSError(.badAudio, file: clip, reason: "\(a.channels) channels, expected mono") }
            let x = a.sampleRate == 16000 ? a.samples : Resampler(from: a.sampleRate, to: 16000).process(a.samples)
            let extractor = try KWSCLI.extractor(offset: featureOffset)
            // a clip shorter than one analysis window has no feature frame worth the name: zero frames is an error
            guard x.count >= extractor.config.windowLength else {
                throw KWSError(.badAudio, file: clip, field: "data.size",
                               reason: "\(a.frameCount) samples at \(a.sampleRate) Hz, shorter than one \(extractor.config.windowLength * 1000 / 16000) ms analysis window: no feature frames")
            }
            let f = extractor.features(x)
            guard !f.isEmpty else { throw KWSError(.badAudio, file: clip, field: "data.size", reason: "no feature frames") }
            try CLI.writeAtomically(StimulusFile.csv(Stimulus(frames: f, inputs: f.first?.count ?? 13)), to: output, option: OutputOption.label)
        }
    }
}

struct KWSEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy and confusion matrix of a network on a dataset split (balanced: all 'yes', as many others).",
        discussion: "Decision: per frame the larger of out.0 (other) and out.1 (yes); majority vote over the frames.")
    @Argument(help: "The network file.") var network: String
    @Option(help: "Dataset directory (Speech Commands layout).") var data: String
    @Option(help: "Split: train, validation or test.") var split: String = "test"
    @Flag(help: "Use every clip of the split instead of the balanced set.") var all = false
    @Flag(help: "Also list every clip with its frame votes for 'yes'.") var votes = false
    @Option(name: .customLong("feature-offset"), help: "Added to the z-scores of the MFCCs (as the network was trained: see its metadata).") var featureOffset: Double = MFCCConfig.defaultOffset
    @Option(name: .customLong("parameter-noise"), help: ArgumentHelp("Also measure accuracy with every parameter multiplied by 1 + N(0, (p/3)²), for each p (percent, comma separated), beside the same network with continuous-state cells.", valueName: "p,..."))
    var parameterNoise: String?
    @Option(help: "Draws per parameter-noise level.") var trials: Int = 10
    @Option(help: "Seed of the parameter-noise draws.") var seed: UInt64 = 1
    @Option(help: "Write the parameter-noise rows as JSON to this file.") var json: String?

    func percents() throws -> [Double]? {
        guard let p = parameterNoise else { return nil }
        let v = try p.split(separator: ",").map { s -> Double in
            guard let x = Double(s.trimmingCharacters(in: .whitespaces)), x.isFinite, x >= 0, x <= 100 else {
                throw UsageFailure("--parameter-noise \(p): '\(s)' is not a percentage in [0, 100]")
            }
            return x
        }
        guard !v.isEmpty else { throw UsageFailure("--parameter-noise: give at least one percentage") }
        guard (1...1000).contains(trials) else { throw UsageFailure("--trials: must be in 1...1000") }
        return ([0] + v.filter { $0 > 0 }).reduce(into: [Double]()) { if !$0.contains($1) { $0.append($1) } }
    }

    func run() throws {
        try CLI.guarded {
            let levels = try percents()
            guard let sp = DataSplit(rawValue: split) else { throw UsageFailure("--split must be train, validation or test") }
            let net = try NetworkFile.load(path: network)
            guard net.inputs == 13, net.layers.last?.outputs == 2 else {
                throw UsageFailure("\(network): a keyword spotter needs 13 inputs and 2 outputs (other, yes)")
            }
            let fq = try FQNet(network: net)
            KWSCLI.checkOffset(network: net, file: network, offset: featureOffset)
            let ds = try KWSCLI.loadDataset(data, featureOffset: featureOffset)
            let clips = all ? ds.clips(sp) : ds.balanced(sp)
            guard !clips.isEmpty else { throw UsageFailure("\(data): the \(split) split is empty") }
            print("\(network) on \(data) \(split)\(all ? "" : " (balanced)"): ", terminator: "")
            print(KWSCLI.format(KWSTrainer.evaluate(fq, clips: clips)), terminator: "")
            if votes {
                for c in clips {
                    let d = fq.decide(c.features, frames: c.frames)
                    print("\(c.id) \(c.word.rawValue) yes-votes \(d.votes[1])/\(c.frames)\(d.decision == c.label ? "" : " WRONG")")
                }
            }
            if let levels {
                let rows = ParameterNoise.study(net, clips: clips, percents: levels, trials: trials, seed: seed) { done, total in
                    if done == total || done % 5 == 0 { CLI.stderr("parameter noise: \(done)/\(total) evaluations") }
                }
                print("parameter noise (every parameter × (1 + N(0, (p/3)²)), \(trials) trials, \(clips.count) clips):")
                print("| p | FQ-BMRU accuracy | continuous-state baseline accuracy |\n|---|---|---|")
                for p in levels {
                    let b = rows.first { $0.percent == p && $0.dynamics == "bistable" }!, c = rows.first { $0.percent == p && $0.dynamics == "continuous" }!
                    print(String(format: "| %g %% | %.2f ± %.2f %% | %.2f ± %.2f %% |", p, b.mean * 100, b.std * 100, c.mean * 100, c.std * 100))
                }
                if let j = json {
                    let enc = JSONEncoder()
                    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
                    try AtomicWrite.write(try enc.encode(rows), to: ModelFiles.absolute(j))
                }
            }
        }
    }
}
