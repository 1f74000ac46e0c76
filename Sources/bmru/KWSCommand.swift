import ArgumentParser
import BMRUModel
import Foundation
import KWS
import Characterization
import Netlist

/// `bmru kws synth|features|eval|classify|detect`: keyword-spotting data, features, evaluation, and deciding audio.
struct KWSGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kws",
        abstract: "Keyword spotting: synthesise a speech dataset, compute MFCC stimuli, evaluate a network, decide clips and recordings.",
        subcommands: [KWSSynth.self, KWSFeatures.self, KWSEval.self, KWSClassify.self, KWSDetect.self])
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

    /// A keyword spotter from a network file: 13 inputs and 2 outputs (other, yes), the feature offset checked
    /// against its metadata as `kws eval` checks it.
    static func spotter(network file: String, featureOffset: Double) throws -> (Network, KeywordSpotter) {
        let net = try NetworkFile.load(path: file)
        guard net.inputs == 13, net.layers.last?.outputs == 2 else {
            throw UsageFailure("\(file): a keyword spotter needs 13 inputs and 2 outputs (other, yes)")
        }
        let ex = try extractor(offset: featureOffset)
        checkOffset(network: net, file: file, offset: featureOffset)
        return (net, KeywordSpotter(net: try FQNet(network: net), extractor: ex))
    }

    /// The detection rule from `--hop` and `--min-windows`.
    static func rule(hop: Double, minWindows: Int) throws -> DetectRule {
        guard hop.isFinite, hop >= 0.01, hop <= 1 else { throw UsageFailure("--hop must be in 0.01 ... 1 s (windows are 1 s)") }
        guard (1...100).contains(minWindows) else { throw UsageFailure("--min-windows must be in 1 ... 100") }
        return DetectRule(hopSeconds: hop, minWindows: minWindows)
    }

    /// A mono WAV resampled to 16 kHz, refused when shorter than the spotter's minimum.
    static func audio(_ path: String) throws -> [Float] {
        let a = try SpeechCommands.readAudio16k(path: path)
        guard a.samples.count >= KeywordSpotter.minimumSamples else {
            throw KWSError(.badAudio, file: path, field: "data.size",
                           reason: "\(a.fileFrames) samples at \(a.fileRate) Hz, shorter than the \(NumberText.short(KeywordSpotter.minimumSeconds)) s a clip needs")
        }
        return a.samples
    }

    static func seconds(_ x: Double) -> String { String(format: "%.2f", x) }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try CLI.writeAtomically(try enc.encode(value), to: path, option: "--json")
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
            let (x, fileRate, fileFrames) = try SpeechCommands.readAudio16k(path: clip)
            let extractor = try KWSCLI.extractor(offset: featureOffset)
            // a clip shorter than one analysis window has no feature frame worth the name: zero frames is an error
            guard x.count >= extractor.config.windowLength else {
                throw KWSError(.badAudio, file: clip, field: "data.size",
                               reason: "\(fileFrames) samples at \(fileRate) Hz, shorter than one \(extractor.config.windowLength * 1000 / 16000) ms analysis window: no feature frames")
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
        abstract: "Accuracy, confusion matrix and false alarms per hour of a network on a dataset split (balanced: all 'yes', as many others).",
        discussion: """
        Decision: per frame the larger of out.0 (other) and out.1 (yes); majority vote over the frames. The folder         may hold a test split only (every clip in testing_list.txt); the balanced set needs 'yes' clips in the         split (else use --all). False alarms per hour: the rule of `kws detect` (--hop, --min-windows) slid over         every non-'yes' spoken clip of the split end to end, and over the split's background-noise seconds end to         end (whether or not --all is given), and over each WAV of --detect-on (recordings without the keyword);         detections × 3600 / seconds of audio.
        """)
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
    @Option(name: .customLong("detect-on"), help: ArgumentHelp("Also count false alarms on every WAV file of this folder (long recordings without the keyword).", valueName: "FOLDER"))
    var detectOn: String?
    @Option(help: "Seconds between the starts of the detection windows (as `kws detect`).") var hop: Double = 0.1
    @Option(name: .customLong("min-windows"), help: "Fewest consecutive 'yes' windows that make a detection (as `kws detect`).") var minWindows: Int = 3
    @Flag(name: .customLong("circuit-aware"), help: "Also the accuracy the circuit would reach: the circuit-aware model of the network's emitted deck (sized at one unit of input, as `bmru netlist` without --input), and under --parameter-noise.")
    var circuitAware = false
    @OptionGroup var conditions: CircuitConditions
    @Option(name: .customLong("mismatch-seed"), help: "With --circuit-aware: the circuit-aware model of this shared mismatch sample.") var mismatchSeed: UInt64?

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
            if CrossbarNetworkFile.format(ofFileAt: network) == CrossbarNetworkFile.formatName {
                return try evalCrossbar(split: sp)
            }
            let rule = try KWSCLI.rule(hop: hop, minWindows: minWindows)
            let recordings = try detectOn.map(Self.recordings)
            let (net, spotter) = try KWSCLI.spotter(network: network, featureOffset: featureOffset)
            let fq = spotter.net
            let ds = try KWSCLI.loadDataset(data, featureOffset: featureOffset)
            guard !ds.clips(sp).isEmpty else { throw UsageFailure("\(data): the \(split) split is empty") }
            guard all || ds.clips(sp).contains(where: { $0.word == .yes }) else {
                throw UsageFailure("\(data): the \(split) split has no 'yes' clips, so its balanced set (every 'yes', as many others) is empty; use --all")
            }
            let clips = all ? ds.clips(sp) : ds.balanced(sp)
            print("\(network) on \(data) \(split)\(all ? "" : " (balanced)"): ", terminator: "")
            print(KWSCLI.format(KWSTrainer.evaluate(fq, clips: clips)), terminator: "")
            if votes {
                for c in clips {
                    let d = fq.decide(c.features, frames: c.frames)
                    print("\(c.id) \(c.word.rawValue) yes-votes \(d.votes[1])/\(c.frames)\(d.decision == c.label ? "" : " WRONG")")
                }
            }
            try falseAlarms(spotter, rule: rule, dataset: ds, split: sp, recordings: recordings)
            var models: [ParameterNoise.Model] = []
            if circuitAware {
                let model = try circuitAwareModel()
                let classes = net.layers.last?.outputs ?? 2
                let acc = ParameterNoise.accuracy(classes: classes, clips: clips, outputs: try model(net))
                print(String(format: "circuit-aware model (%@, %g °C%@): accuracy %.4f", conditions.corner.rawValue, conditions.temp,
                             mismatchSeed.map { ", mismatch sample \($0)" } ?? "", acc))
                models.append(ParameterNoise.Model(name: "circuit_aware", make: model))
            }
            if let levels {
                let rows = try ParameterNoise.study(net, clips: clips, percents: levels, trials: trials, seed: seed, models: models) { done, total in
                    if done == total || done % 5 == 0 { CLI.stderr("parameter noise: \(done)/\(total) evaluations") }
                }
                print("parameter noise (every parameter × (1 + N(0, (p/3)²)), \(trials) trials, \(clips.count) clips):")
                print("| p | FQ-BMRU accuracy | continuous-state baseline accuracy |\(circuitAware ? " circuit-aware model accuracy |" : "")\n|---|---|---|\(circuitAware ? "---|" : "")")
                for p in levels {
                    func cell(_ kind: String) -> String {
                        guard let r = rows.first(where: { $0.percent == p && $0.dynamics == kind }) else { return "" }
                        return String(format: " %.2f ± %.2f %% |", r.mean * 100, r.std * 100)
                    }
                    print(String(format: "| %g %% |", p) + cell("bistable") + cell("continuous") + (circuitAware ? cell("circuit_aware") : ""))
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

extension KWSEval {
    /// A crossbar-rnn-network: balanced accuracy of its quantized and ideal models (features without offset, as
    /// `train --arch crossbar` makes them).
    func evalCrossbar(split sp: DataSplit) throws {
        for (given, option) in [(parameterNoise != nil, "--parameter-noise"), (circuitAware, "--circuit-aware"), (detectOn != nil, "--detect-on"),
                                (votes, "--votes")] where given {
            throw UsageFailure("\(option): not available for crossbar-rnn-network files yet")
        }
        let net = try CrossbarNetworkFile.load(path: network)
        let ds = try KWSCLI.loadDataset(data, featureOffset: 0)
        guard all || ds.clips(sp).contains(where: { $0.word == .yes }) else {
            throw UsageFailure("\(data): the \(split) split has no 'yes' clips, so its balanced set is empty; use --all")
        }
        let clips = all ? ds.clips(sp) : ds.balanced(sp)
        for mode in CrossbarActivationMode.allCases.reversed() {
            let r = CrossbarEvaluation.evaluate(net, clips: clips, mode: mode)
            print(String(format: "%@ on %@ %@%@ (%@ model): balanced accuracy %.4f (yes recall %.4f, others %.4f), %d clips",
                         network, data, split, all ? "" : " (balanced)", mode.rawValue, r.balancedAccuracy, r.yesRecall, r.otherAccuracy, r.total))
        }
    }

    /// A builder of the circuit-aware model (the conditions' calibration table, optional shared mismatch sample)
    /// for a network: its last layer's outputs per stimulus.
    func circuitAwareModel() throws -> (Network) throws -> (Stimulus) -> [Double] {
        if let s = mismatchSeed, s < 1 || s > 2_147_483_647 { throw UsageFailure("--mismatch-seed: must be in 1...2147483647") }
        let dir = ModelFiles.directory(option: conditions.models)
        try ModelFiles.require(dir)
        guard let cal = CoSimCalibrationArguments.tables(corner: conditions.corner, dir: dir, temperature: conditions.temp) else {
            throw UsageFailure("--circuit-aware needs calibration tables for corner \(conditions.corner.rawValue): run `bmru calibrate --corner \(conditions.corner.rawValue)`")
        }
        let sample = mismatchSeed.map { MismatchSample(seed: $0, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT) }
        let options = CircuitAwareOptions(calibration: cal, mismatch: sample, modelsDirectory: dir, vdd: conditions.vdd,
                                          temperature: conditions.temp)
        return { net in
            let m: CircuitAwareModel
            do { m = try CircuitAwareModel(network: net, options: options) } catch let e as NetlistError { throw UsageFailure("\(e)") }
            return { m.run($0).layers.last?.outputs.flatMap { $0 } ?? [] }
        }
    }

    /// The WAV files of a folder (sorted), checked before the dataset is loaded.
    static func recordings(_ dir: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw UsageFailure("--detect-on \(dir): not a readable folder")
        }
        let wavs = names.filter { $0.lowercased().hasSuffix(".wav") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
        guard !wavs.isEmpty else { throw UsageFailure("--detect-on \(dir): no .wav files") }
        return wavs
    }

    /// False alarms per hour of the detection rule: the split's non-'yes' spoken clips end to end, its background
    /// noise seconds end to end, and each recording of --detect-on.
    func falseAlarms(_ spotter: KeywordSpotter, rule: DetectRule, dataset ds: KWSDataset, split sp: DataSplit,
                     recordings: [String]?) throws {
        let others = ds.clips(sp).filter { !$0.word.isKeyword }.sorted { $0.id < $1.id }
        func stream(_ clips: [FeatureClip]) throws -> [Float] {
            var x: [Float] = []
            x.reserveCapacity(clips.count * SpeechCommands.clipSamples)
            for c in clips { x += try SpeechCommands.clipAudio(root: ds.root, id: c.id) }
            return x
        }
        var rows: [FalseAlarms] = []
        let spoken = others.filter { $0.word != .silence }, noise = others.filter { $0.word == .silence }
        if !spoken.isEmpty {
            rows.append(spotter.falseAlarms([try stream(spoken)], source: "\(split) non-'yes' words (\(spoken.count) clips end to end)", rule: rule))
        }
        if !noise.isEmpty {
            rows.append(spotter.falseAlarms([try stream(noise)], source: "\(split) background noise (\(noise.count) s end to end)", rule: rule))
        }
        if let files = recordings {
            let audio = try files.map { try KWSCLI.audio($0) }
            rows.append(spotter.falseAlarms(audio, source: "--detect-on \(detectOn!) (\(files.count) recording\(files.count == 1 ? "" : "s"))", rule: rule))
        }
        guard !rows.isEmpty else { return }
        print("false alarms per hour of audio without 'yes' (rule of kws detect: 1 s windows every \(NumberText.short(rule.hopSeconds)) s, "
              + "a detection is a run of at least \(rule.minWindows) 'yes' window\(rule.minWindows == 1 ? "" : "s")):")
        for r in rows {
            print("  \(r.source): \(r.detections) detection\(r.detections == 1 ? "" : "s") in \(String(format: "%.0f", r.seconds)) s = "
                  + String(format: "%.1f per hour", r.perHour))
        }
    }
}

struct KWSClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Decide one clip: 'yes' or 'other', with the network's frame votes.",
        discussion: """
        The clip (mono WAV; other sample rates are resampled to 16 kHz; at least 0.5 s) is decided as `kws eval` \
        decides a dataset clip: the MFCCs of `kws features` over the whole clip (z-normalised over its frames, plus \
        the feature offset), the network from its initial state, per frame the larger of out.0 (other) and out.1 \
        (yes), and the majority of the frames (a tie is 'other'). The network was trained on 1 s clips with the \
        word near the start; for longer recordings use `kws detect`. A clip below -80 dBFS RMS (digital silence) \
        is 'other' without running the network (its normalised MFCCs would be the offset alone, which the shipped \
        network calls 'yes').
        """)
    @Argument(help: "The WAV clip.") var clip: String
    @Option(help: "The network file (13 inputs, 2 outputs: other, yes).") var network: String
    @Option(help: "Write the decision and the frame votes as JSON to this file.") var json: String?
    @Option(name: .customLong("feature-offset"), help: "Added to the z-scores of the MFCCs (as the network was trained: see its metadata).") var featureOffset: Double = MFCCConfig.defaultOffset

    struct Report: Encodable {
        var clip: String, network: String, decision: String, seconds: Double
        var featureOffset: Double
        var result: ClipDecision
        enum CodingKeys: String, CodingKey { case clip, network, decision, seconds, featureOffset = "feature_offset", result }
    }

    func run() throws {
        try CLI.guarded {
            let (_, spotter) = try KWSCLI.spotter(network: network, featureOffset: featureOffset)
            let x = try KWSCLI.audio(clip)
            let d = spotter.classify(x[...])
            if d.silent {
                print("\(clip): other (silence: RMS below -80 dBFS, the network is not run)")
            } else {
                print("\(clip): \(d.yes ? "yes" : "other") (yes-votes \(d.votes[1])/\(d.frames) frames)")
                print("frame votes (1 = yes): " + d.frameVotes.map(String.init).joined())
            }
            if let j = json {
                try KWSCLI.writeJSON(Report(clip: clip, network: network, decision: d.yes ? "yes" : "other",
                                            seconds: Double(x.count) / Double(KeywordSpotter.sampleRate),
                                            featureOffset: featureOffset, result: d), to: j)
            }
        }
    }
}

struct KWSDetect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find the keyword in a recording of any length: 1 s windows, merged into detections with times.",
        discussion: """
        Rule: windows of 1 s every --hop seconds (0.1 s) from the start of the recording, and one more ending at \
        the end when the hops do not reach it; each window is decided as `kws classify` decides a clip (its own \
        MFCC normalisation, the network started afresh, majority vote of the frames; a window below -80 dBFS RMS \
        is silence, not 'yes'). A detection is a run of at least --min-windows (3) consecutive 'yes' windows; runs \
        that overlap in time (a few windows apart) are one detection, reported from the start of its first window \
        to the end of its last, in seconds from the start of the recording, with the most yes-votes of one of its windows. A \
        recording shorter than 1 s (at least 0.5 s) is one window. The mono WAV is resampled to 16 kHz when needed.
        """)
    @Argument(help: "The WAV recording.") var audio: String
    @Option(help: "The network file (13 inputs, 2 outputs: other, yes).") var network: String
    @Option(help: "Write the rule, every window and the detections as JSON to this file.") var json: String?
    @Option(help: "Seconds between the starts of consecutive windows (0.01 ... 1).") var hop: Double = 0.1
    @Option(name: .customLong("min-windows"), help: "Fewest consecutive 'yes' windows that make a detection.") var minWindows: Int = 3
    @Option(name: .customLong("feature-offset"), help: "Added to the z-scores of the MFCCs (as the network was trained: see its metadata).") var featureOffset: Double = MFCCConfig.defaultOffset

    struct Rule: Encodable {
        var rule: DetectRule, text: String
        func encode(to encoder: Encoder) throws {
            try rule.encode(to: encoder)
            var c = encoder.container(keyedBy: K.self)
            try c.encode(text, forKey: .text)
        }
        enum K: String, CodingKey { case text }
    }

    struct Report: Encodable {
        var audio: String, network: String, seconds: Double, featureOffset: Double
        var rule: Rule
        var windows: [WindowDecision]
        var detections: [Detection]
        enum CodingKeys: String, CodingKey {
            case audio, network, seconds, featureOffset = "feature_offset", rule, windows, detections
        }
    }

    func run() throws {
        try CLI.guarded {
            let rule = try KWSCLI.rule(hop: hop, minWindows: minWindows)
            let (_, spotter) = try KWSCLI.spotter(network: network, featureOffset: featureOffset)
            let x = try KWSCLI.audio(audio)
            let r = spotter.detect(x, rule: rule)
            print("\(audio): \(KWSCLI.seconds(r.seconds)) s, \(r.windows.count) windows (\(r.windows.filter(\.yes).count) 'yes'), "
                  + "\(r.detections.count) detection\(r.detections.count == 1 ? "" : "s")")
            for d in r.detections {
                print("  yes \(KWSCLI.seconds(d.startSeconds)) - \(KWSCLI.seconds(d.endSeconds)) s "
                      + "(\(d.windows) window\(d.windows == 1 ? "" : "s"), yes-votes up to \(d.votes)/\(d.frames))")
            }
            if let j = json {
                try KWSCLI.writeJSON(Report(audio: audio, network: network, seconds: r.seconds, featureOffset: featureOffset,
                                            rule: Rule(rule: rule, text: rule.text), windows: r.windows, detections: r.detections), to: j)
            }
        }
    }
}
