import ArgumentParser
import BMRUModel
import Foundation
import KWS

/// `bmru train --task kws`: trains an FQ-BMRU keyword spotter and writes a bmru-network v1 file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an FQ-BMRU network (task kws: 'yes' against silence, no, up, down, left, right).",
        discussion: """
        Architecture: 13 MFCC -> dense W relu -> [bmru S -> dense W relu + residual] x blocks -> dense 2 \
        identity (out.0 = other, out.1 = yes), S = --state, W = --width (default S). BPTT over all frames \
        with an arctan surrogate gradient for the steps, the relaxed recursion with ε annealed to 0 (from --epsilon-start, default 0), \
        AdamW with cosine decay and gradient clipping, per-frame cross-entropy, majority-vote decisions. \
        Only ε = 0 checkpoints are selected, by class-balanced accuracy on the whole validation split (never \
        the test split); --restarts N keeps the best of N seeds by the same rule. The state is checkpointed \
        every --checkpoint-every steps and on SIGINT/SIGTERM (exit 130); --resume continues it and gives the \
        same network as an uninterrupted run. Parameters are kept in a \
        range a circuit realises: |w| ≤ 4 and |w| < 0.05 set to 0, θ and level in [0.1, 3], θ_high − θ_low ≥ 0.1.
        """)
    @Option(help: "Task (only kws).") var task: String = "kws"
    @Option(help: "Architecture: fqbmru (the FQ-BMRU spotter above) or crossbar (13 MFCC → crossbar_rnn --state tanh → crossbar_dense 2 identity, ramp ADCs of --adc-bits; a crossbar-rnn-network file, features without offset).")
    var arch: String = "fqbmru"
    @Option(name: .customLong("adc-bits"), help: "Crossbar: bits of the ramp ADCs.") var adcBits: Int = 5
    @Option(help: "Dataset directory (Speech Commands layout, e.g. from `bmru kws synth`).") var data: String
    @Option(help: "bmru units per cell.") var state: Int = 4
    @Option(help: "Dense width (default: state).") var width: Int?
    @Option(help: "Number of [bmru -> dense + residual] blocks.") var blocks: Int = 2
    @Option(help: "Optimiser steps (default 8000).") var steps: Int?
    @Option(help: "Epochs (steps = epochs × training clips / batch); ignored with --steps.") var epochs: Double?
    @Option(help: "Clips per mini-batch (half 'yes').") var batch: Int = 128
    @Option(help: "Peak learning rate.") var learningRate: Double = 0.01
    @Option(help: "Surrogate gradient scale.") var surrogateScale: Double = 0.5
    @Option(help: "ε at the start (annealed to 0 at half of the steps).") var epsilonStart: Double = 0
    @Option(help: "Fraction of the steps after which ε = 0.") var epsilonZeroFraction: Double = 0.5
    @Option(help: "Random seed (with --restarts: the first of the seeds).") var seed: UInt64 = 1
    @Option(help: "Train this many networks (seeds seed, seed+1, ...) and keep the best by validation accuracy.") var restarts: Int = 1
    @Option(help: "Evaluate (and report progress) every N steps.") var evalEvery: Int = 100
    @Flag(inversion: .prefixedNo, help: "Draw a quarter of each batch from the negative words in proportion to their recent errors.")
    var hardNegatives = false
    @Option(help: "AdamW weight decay.") var weightDecay: Double = 1e-4
    @Option(help: "Augmentation: shift each training clip by up to ± N frames.") var augmentShift: Int = 0
    @Option(help: "Augmentation: standard deviation of Gaussian noise added to the features.") var augmentNoise: Double = 0
    @Option(help: "Augmentation: time masks (frames set to the clip mean) per training clip.") var timeMasks: Int = 0
    @Option(help: "Augmentation: widest time mask, frames.") var timeMaskWidth: Int = 10
    @Option(help: "Augmentation: frequency masks (coefficients set to their clip mean) per training clip.") var freqMasks: Int = 0
    @Option(help: "Augmentation: widest frequency mask, coefficients.") var freqMaskWidth: Int = 2
    @Option(help: "Per-frame loss weights rise linearly to 1 over the first N frames (0 = equal weights).") var lossRamp: Int = 0
    @Option(help: "Loss weight of frame 0 with --loss-ramp.") var lossWeightStart: Double = 0
    @Option(name: .customLong("feature-offset"), help: "Added to the z-scores of the MFCC inputs (non-negative currents keep values down to this many standard deviations below the clip mean).") var featureOffset: Double = MFCCConfig.defaultOffset
    @Option(name: .customLong("power-weight"), help: "Weight λ of a power term in the loss: λ × the mean per-frame current of the dense layers' mirrors, Σ max(w,0)·x + max(b,0), in units (0 = off).") var powerWeight: Double = 0
    @Option(help: "Evaluate and select an exponential moving average of the parameters with this decay per step (0 = off).") var ema: Double = 0
    @Flag(help: "Compute the mini-batch shards on one core (same result; benchmark baseline).") var serial = false
    @Option(help: "Checkpoint file (default: OUTPUT.ckpt); removed when training finishes.") var checkpoint: String?
    @Option(help: "Write the checkpoint every N steps (also on SIGINT/SIGTERM).") var checkpointEvery: Int = 500
    @Flag(help: "Continue from the checkpoint (same options and data; the result equals an uninterrupted run).") var resume = false
    @Option(name: .output(alias: "output"), help: "Output network file.") var output: String
    @Option(help: "Also write stimuli of N correctly decided test clips per class (yes, no, left, silence) here.") var stimuliDir: String?
    @Option(help: "Test clips per class for --stimuli-dir.") var stimuli: Int = 1

    func run() throws {
        try CLI.guarded {
            guard task == "kws" else { throw UsageFailure("--task: only 'kws' is supported") }
            guard ["fqbmru", "crossbar"].contains(arch) else { throw UsageFailure("--arch: fqbmru or crossbar") }
            if arch == "crossbar" { return try trainCrossbar() }
            // the folders of the outputs before hours of training (the checkpoint is written beside the network)
            try OutputPath.makeParent(output, option: OutputOption.label)
            if let c = checkpoint { try OutputPath.makeParent(c, option: "--checkpoint") }
            if let d = stimuliDir { try OutputPath.check(d + "/.", option: "--stimuli-dir") }
            let t0 = Date()
            let ds = try KWSCLI.loadDataset(data, featureOffset: featureOffset)
            var cfg = TrainerConfig()
            cfg.state = state; cfg.width = width; cfg.blocks = blocks; cfg.batch = batch
            cfg.learningRate = learningRate; cfg.surrogateScale = surrogateScale; cfg.epsilonStart = epsilonStart
            cfg.epsilonZeroFraction = epsilonZeroFraction
            cfg.seed = seed; cfg.evalEvery = evalEvery; cfg.parallel = !serial; cfg.hardNegatives = hardNegatives
            cfg.weightDecay = weightDecay
            cfg.augmentShift = augmentShift; cfg.augmentNoise = augmentNoise
            cfg.timeMasks = timeMasks; cfg.timeMaskWidth = timeMaskWidth; cfg.freqMasks = freqMasks; cfg.freqMaskWidth = freqMaskWidth
            cfg.lossRamp = lossRamp; cfg.lossWeightStart = lossWeightStart; cfg.emaDecay = ema
            if powerWeight != 0 { cfg.powerWeight = powerWeight }
            let nTrain = ds.clips(.train).count
            if let s = steps { cfg.steps = s } else if let e = epochs { cfg.steps = max(1, Int((e * Double(nTrain) / Double(batch)).rounded())) }
            cfg.warmupSteps = min(cfg.warmupSteps, max(1, cfg.steps / 10))
            guard checkpointEvery >= 1 else { throw UsageFailure("--checkpoint-every must be ≥ 1") }
            let ckPath = checkpoint ?? output + ".ckpt"
            let stop = StopFlag()
            let trap = SignalTrap { sig in
                stop.set()
                KWSCLI.note("train: \(sig == SIGINT ? "interrupted" : "terminated"); saving the checkpoint after the current step")
            }
            defer { trap.cancel() }
            guard restarts >= 1 else { throw UsageFailure("--restarts must be ≥ 1") }
            let ckPaths = KWSTrainer.checkpointPaths(ckPath, config: cfg, restarts: restarts)
            let existing = ckPaths.filter { FileManager.default.fileExists(atPath: $0) }
            if resume {
                KWSCLI.note(existing.isEmpty ? "no checkpoint at \(ckPath); starting at step 0" : "resuming from \(existing.joined(separator: ", "))")
            } else if !existing.isEmpty {
                KWSCLI.note("replacing the old checkpoint \(existing.joined(separator: ", ")) (use --resume to continue from it)")
                for p in existing { try? FileManager.default.removeItem(atPath: p) }
            }
            let ck = CheckpointOptions(path: ckPath, every: checkpointEvery, resume: resume, shouldStop: { stop.isSet })
            let r: TrainResult
            do {
                r = try KWSTrainer.trainBest(dataset: ds, config: cfg, restarts: restarts, checkpoint: ck) { sd, p in
                    let val = p.validationAccuracy.map { String(format: "%.4f", $0) } ?? "-"
                    let cur = p.validationCurrent.map { String(format: "%.1f", $0) } ?? "-"
                    KWSCLI.note((restarts > 1 ? "seed \(sd)  " : "") + String(format: "step %d/%d  eps %.3f  loss %.4f  train-acc %.3f  val-acc %@  val-current %@",
                                                                               p.step, cfg.steps, p.epsilon, p.loss, p.trainAccuracy, val, cur))
                }
            } catch let e as KWSError where e.kind == .interrupted {
                KWSCLI.note("train: \(e.reason) to \(ckPath); continue with the same command and --resume")
                throw ExitCode(130)
            }
            let test = ds.balanced(.test)
            let ev = KWSTrainer.evaluate(r.net, clips: test)
            if restarts > 1 {
                KWSCLI.note("restarts (validation accuracy): " + r.runs.map { "seed \($0.seed) \(String(format: "%.4f", $0.validationAccuracy))" }.joined(separator: ", ")
                            + "; kept seed \(r.seed)")
            }
            cfg.seed = r.seed
            KWSCLI.note("best step \(r.bestStep): validation \(String(format: "%.4f", r.validationAccuracy)) (class-balanced, all clips); test (unseen voices, balanced):")
            KWSCLI.note(KWSCLI.format(ev))
            let meta = KWSMetadata.json(config: cfg, dataset: ds, result: r, test: ev, firstSeed: seed, restarts: restarts,
                                        featureOffset: featureOffset)
            let net = r.net.network(name: "kws-yes", metadataJSON: meta)
            let problems = NetworkFile.validate(net, file: output)
            guard problems.isEmpty else { throw UsageFailure("trained network is invalid: \(problems[0])") }
            try CLI.writeAtomically(try NetworkFile.encode(net), to: output, option: OutputOption.label)
            for p in ckPaths { try? FileManager.default.removeItem(atPath: p) }
            if let dir = stimuliDir { try writeStimuli(ds: ds, net: r.net, dir: dir) }
            print(String(format: "wrote %@: test accuracy %.4f on %d unseen-voice clips (state %d), %.1f s total",
                         output, ev.accuracy, ev.total, state, Date().timeIntervalSince(t0)))
        }
    }

    /// Writes kws-<word>-<k>.csv for the first (by id) test clips of yes, no, left and silence that the
    /// network decides correctly (demo material; the accuracy above counts every test clip).
    func writeStimuli(ds: KWSDataset, net: FQNet, dir: String) throws {
        try OutputPath.makeFolder(dir, option: "--stimuli-dir")
        for w in [KWSWord.yes, .no, .left, .silence] {
            let clips = ds.clips(.test).filter { $0.word == w }.sorted { $0.id < $1.id }
                .filter { net.decide($0.features, frames: $0.frames).decision == $0.label }
            for (k, c) in clips.prefix(stimuli).enumerated() {
                let name = "kws-\(w == .silence ? "silence" : w.rawValue)-\(k + 1).csv"
                let path = (dir as NSString).appendingPathComponent(name)
                try AtomicWrite.write(StimulusFile.csv(Stimulus(frames: c.rows, inputs: c.coefficients)), to: path)
                let d = net.decide(c.features, frames: c.frames)
                KWSCLI.note("\(path): \(c.id) -> \(d.decision == 1 ? "yes" : "other") (frames voting yes \(d.votes[1])/\(c.frames))")
            }
        }
    }
}

enum KWSMetadata {
    static func json(config c: TrainerConfig, dataset ds: KWSDataset, result r: TrainResult, test: Evaluation,
                     firstSeed: UInt64, restarts: Int, featureOffset: Double) -> String {
        let offsetText = featureOffset == featureOffset.rounded() && abs(featureOffset) < 1e6 ? String(Int(featureOffset)) : "\(featureOffset)"
        var synth: Any = NSNull()
        if let d = FileManager.default.contents(atPath: (ds.root as NSString).appendingPathComponent("synth.json")),
           let o = try? JSONSerialization.jsonObject(with: d) { synth = o }
        let meta: [String: Any] = [
            "trainer": "bmru train \(ToolVersion.string)",
            "task": "keyword spotting: 'yes' against {_silence_, no, up, down, left, right}",
            "classes": ["other", "yes"],
            "decision": "per frame argmax(out.0 other, out.1 yes); majority vote over the 101 frames",
            "features": "13 MFCC: 16 kHz, 25 ms Hann window in 512-point FFT, hop 160, 40 HTK-mel bands 20-8000 Hz, ln, orthonormal DCT-II, z-normalised per coefficient per clip, plus \(offsetText) (bmru kws features --feature-offset \(offsetText))",
            "data": ["directory": (ds.root as NSString).lastPathComponent, "synth": synth,
                     "train_clips": ds.clips(.train).count, "validation_clips": ds.clips(.validation).count,
                     "test_clips": ds.clips(.test).count, "skipped_files": ds.skipped.count],
            "seed": Int(c.seed), "steps": c.steps, "best_step": r.bestStep, "batch": c.batch,
            "state": c.state, "width": c.width ?? c.state, "blocks": c.blocks,
            "optimiser": ["name": "AdamW", "learning_rate": c.learningRate, "weight_decay": c.weightDecay,
                          "schedule": "linear warm-up \(c.warmupSteps) steps, cosine decay to 5 %", "gradient_clip": c.gradientClip],
            "surrogate": "arctan, scale \(c.surrogateScale)",
            "augmentation": ["shift_frames": c.augmentShift, "noise_std": c.augmentNoise, "time_masks": c.timeMasks,
                             "time_mask_width": c.timeMaskWidth, "freq_masks": c.freqMasks, "freq_mask_width": c.freqMaskWidth],
            "loss": "per-frame cross-entropy" + (c.lossRamp > 0 ? ", weights rising linearly from \(c.lossWeightStart) to 1 over the first \(c.lossRamp) frames (mean 1)" : ", equal weights"),
            "feature_offset": featureOffset,
            "ema_decay": c.emaDecay, "hard_negatives": c.hardNegatives,
            "power_weight": c.powerWeight ?? 0,
            "restarts": ["count": restarts, "first_seed": Int(firstSeed), "rule": "keep the best validation accuracy (test split unused)",
                         "validation_accuracy_by_seed": Dictionary(uniqueKeysWithValues: r.runs.map { ("\($0.seed)", $0.validationAccuracy) })],
            "epsilon": "relaxed recursion, ε cosine-annealed from \(c.epsilonStart) to 0 at \(c.epsilonZeroFraction) of the steps; selected checkpoint has ε = 0",
            "accuracy": ["validation_class_balanced_all_clips": r.validationAccuracy, "selection": "best ε = 0 checkpoint by validation only", "test_balanced_unseen_voices": test.accuracy,
                         "test_clips": test.total, "test_mean_dense_current_units": test.meanDenseCurrent],
            "hardware_range": ["weights_and_biases": "|w| ≤ \(c.weightMax) (clamped during training); |w| < \(c.weightMin) set to exactly 0",
                               "theta_and_level": "in [\(c.thetaMin), \(c.thetaMax)] model units (projected after every step)",
                               "hysteresis_min": c.hysteresisMin, "unit": "1 model unit = unit_current = 1 nA"],
        ]
        let d = (try? JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: d, as: UTF8.self)
    }
}

/// Set once (from a signal handler queue), read by the training loop.
final class StopFlag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

extension Train {
    /// `--arch crossbar`: CrossbarTrainer, then the network with its metadata and optional stimuli.
    func trainCrossbar() throws {
        try OutputPath.makeParent(output, option: OutputOption.label)
        if let d = stimuliDir { try OutputPath.check(d + "/.", option: "--stimuli-dir") }
        guard (1...256).contains(state) else { throw UsageFailure("--state: must be in 1...256 for a crossbar spotter") }
        guard RampADC.bitRange.contains(adcBits) else { throw UsageFailure("--adc-bits: must be in \(RampADC.bitRange)") }
        guard batch >= 2, learningRate > 0, learningRate.isFinite else { throw UsageFailure("--batch ≥ 2 and --learning-rate > 0") }
        let t0 = Date()
        let ds = try KWSCLI.loadDataset(data, featureOffset: 0)
        var cfg = CrossbarTrainerConfig()
        cfg.units = state; cfg.adcBits = adcBits; cfg.seed = seed; cfg.batch = batch; cfg.learningRate = learningRate
        cfg.evalEvery = evalEvery
        if let s = steps { cfg.steps = s }
        guard cfg.steps >= 1 else { throw UsageFailure("--steps: must be ≥ 1") }
        let r = try CrossbarTrainer.train(dataset: ds, config: cfg) { step, norm, acc in
            KWSCLI.note(String(format: "step %d/%d  grad-norm %.3f  val-acc (quantized) %@", step, cfg.steps, norm,
                               acc.map { String(format: "%.4f", $0) } ?? "-"))
        }
        let test = ds.balanced(.test)
        let meta = """
            {"task": "kws", "architecture": "13 MFCC -> crossbar_rnn \(state) tanh -> crossbar_dense 2 identity, \(adcBits)-bit ramp ADCs", \
            "features": "MFCC z-scores, no offset", "feature_offset": 0, "seed": \(seed), "steps": \(cfg.steps), "best_step": \(r.bestStep), \
            "validation_balanced_accuracy_quantized": \(NumberText.json(r.validationAccuracy)), "inputs_outside_range": \(NumberText.json(r.inputsOutside))}
            """
        let net = r.spotter.network(name: "crossbar-kws", inputRange: r.inputRange, metadataJSON: meta)
        let problems = CrossbarNetworkFile.validate(net, file: output)
        guard problems.isEmpty else { throw UsageFailure("trained network is invalid: \(problems[0])") }
        let q = CrossbarEvaluation.evaluate(net, clips: test, mode: .quantized), i = CrossbarEvaluation.evaluate(net, clips: test, mode: .ideal)
        KWSCLI.note(String(format: "best step %d: validation %.4f (quantized, balanced); input range ±%g (%.3f %% of training values outside)",
                           r.bestStep, r.validationAccuracy, r.inputRange.upperBound, 100 * r.inputsOutside))
        try CLI.writeAtomically(try CrossbarNetworkFile.encode(net), to: output, option: OutputOption.label)
        if let dir = stimuliDir {
            try OutputPath.makeFolder(dir, option: "--stimuli-dir")
            for w in [KWSWord.yes, .no] {
                let clips = ds.clips(.test).filter { $0.word == w }.sorted { $0.id < $1.id }
                    .filter { CrossbarEvaluation.decide(net, $0, mode: .quantized) == $0.label }
                for (k, c) in clips.prefix(stimuli).enumerated() {
                    let stim = Stimulus(frames: c.rows, inputs: c.coefficients)
                    try CLI.writeAtomically(Data(StimulusFile.csv(stim).utf8), to: dir + "/crossbar-kws-\(w.rawValue)-\(k + 1).csv", option: "--stimuli-dir")
                }
            }
        }
        print(String(format: "wrote %@: test balanced accuracy %.4f quantized (yes recall %.4f, others %.4f), %.4f ideal, %d clips, state %d, %.1f s total",
                     output, q.balancedAccuracy, q.yesRecall, q.otherAccuracy, i.balancedAccuracy, q.total, state, Date().timeIntervalSince(t0)))
    }
}
