import Foundation
import Testing
import BMRUModel
@testable import KWS

@Suite struct TrainingTests {
    /// A task that needs memory: a pulse on input 0 (class 1) or input 1 (class 0) early in the clip, then
    /// only noise; the majority vote over 40 frames is right only if the decision is held after the pulse.
    func memoryTask(count: Int, seed: UInt64, split: DataSplit) -> [FeatureClip] {
        var r = KWSRandom(seed: seed)
        let frames = 40, inputs = 3
        return (0..<count).map { k in
            let yes = k % 2 == 0
            var f = [Double](repeating: 0, count: frames * inputs)
            for i in f.indices { f[i] = r.uniform(-0.5, 0.3) }
            let onset = 2 + r.index(8), length = 3 + r.index(3), amp = r.uniform(1.2, 2.0)
            for t in onset..<(onset + length) { f[t * inputs + (yes ? 0 : 1)] = amp }
            let word: KWSWord = yes ? .yes : [.no, .up, .down, .left, .right, .silence][k / 2 % 6]
            return FeatureClip(id: "\(split.rawValue)/\(k)", word: word, split: split, frames: frames, coefficients: inputs, features: f)
        }
    }

    func config(steps: Int) -> TrainerConfig {
        var c = TrainerConfig()
        c.state = 2; c.blocks = 1; c.steps = steps; c.batch = 16; c.shards = 4; c.evalEvery = 25
        c.learningRate = 0.03; c.warmupSteps = 10; c.surrogateScale = 1; c.seed = 3
        return c
    }

    @Test func solvesTinyMemoryTask() throws {
        let ds = KWSDataset(root: "memory-task", clips: memoryTask(count: 120, seed: 1, split: .train)
                            + memoryTask(count: 40, seed: 2, split: .validation) + memoryTask(count: 60, seed: 3, split: .test), skipped: [])
        let cfg = config(steps: 300)
        let r = try KWSTrainer.train(dataset: ds, config: cfg)
        let test = KWSTrainer.evaluate(r.net, clips: ds.clips(.test))
        #expect(test.accuracy >= 0.95, "test accuracy \(test.accuracy)")
        // the result is a valid network file within the hardware range
        let net = r.net.network(name: "tiny", metadataJSON: "{}")
        #expect(NetworkFile.validate(net, file: "tiny").isEmpty)
        for l in net.layers {
            for w in l.weights.flatMap({ $0 }) + l.bias { #expect(w == 0 || (abs(w) >= cfg.weightMin && abs(w) <= cfg.weightMax)) }
            if l.kind == .bmru {
                for j in 0..<l.outputs {
                    #expect(l.thetaLow![j] >= 0.1 && l.thetaHigh![j] <= 3 + 1e-12 && l.thetaHigh![j] - l.thetaLow![j] >= 0.1 - 1e-12)
                    #expect(l.level![j] >= 0.1 && l.level![j] <= 3)
                }
            }
        }
        // the exported network decides like the trainer under the ideal model
        for c in ds.clips(.test).prefix(20) {
            let trace = IdealModel(network: net).run(Stimulus(frames: c.rows, inputs: c.coefficients))
            let out = trace.layers.last!.outputs
            let yesVotes = out.filter { $0[1] > $0[0] }.count
            #expect((yesVotes * 2 > c.frames ? 1 : 0) == r.net.decide(c.features, frames: c.frames).decision)
        }
    }

    @Test func deterministicForASeed() throws {
        let ds = KWSDataset(root: "memory-task", clips: memoryTask(count: 40, seed: 1, split: .train)
                            + memoryTask(count: 10, seed: 2, split: .validation), skipped: [])
        let a = try KWSTrainer.train(dataset: ds, config: config(steps: 30))
        let b = try KWSTrainer.train(dataset: ds, config: config(steps: 30))
        #expect(a.net.params == b.net.params)
        var serial = config(steps: 30); serial.parallel = false
        #expect(try KWSTrainer.train(dataset: ds, config: serial).net.params == a.net.params)
        var other = config(steps: 30); other.seed = 4
        #expect(try KWSTrainer.train(dataset: ds, config: other).net.params != a.net.params)
    }

    /// A checkpointed run that is stopped twice and resumed ends with the same network file, byte for byte,
    /// as an uninterrupted run (augmentation, EMA and hard negatives on, so all carried state matters).
    @Test func interruptedAndResumedEqualsUninterrupted() throws {
        let ds = KWSDataset(root: "memory-task", clips: memoryTask(count: 48, seed: 1, split: .train)
                            + memoryTask(count: 12, seed: 2, split: .validation), skipped: [])
        var cfg = config(steps: 60)
        cfg.evalEvery = 10; cfg.augmentShift = 2; cfg.augmentNoise = 0.05; cfg.timeMasks = 1; cfg.timeMaskWidth = 4
        cfg.freqMasks = 1; cfg.freqMaskWidth = 1; cfg.lossRamp = 8; cfg.emaDecay = 0.9; cfg.hardNegatives = true
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kws-ckpt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func file(_ r: TrainResult) throws -> Data { try NetworkFile.encode(r.net.network(name: "tiny", metadataJSON: "{}")) }

        let whole = try KWSTrainer.train(dataset: ds, config: cfg, checkpoint: CheckpointOptions(path: "\(dir)/a.ckpt", every: 1000))
        #expect(try file(whole) == (try file(KWSTrainer.train(dataset: ds, config: cfg))), "checkpointing must not change the result")

        // stop before step 23 (between the periodic saves at 14 and 28), then before step 41
        let ck = "\(dir)/b.ckpt"
        var polls = 0
        for stopAt in [23, 41] {
            polls = 0
            let resume = stopAt != 23
            #expect { try KWSTrainer.train(dataset: ds, config: cfg, checkpoint: CheckpointOptions(
                path: ck, every: 14, resume: resume, shouldStop: { polls += 1; return polls > stopAt - (resume ? 23 : 0) }))
            } throws: { e in (e as? KWSError)?.kind == .interrupted }
            #expect(FileManager.default.fileExists(atPath: ck))
        }
        let resumed = try KWSTrainer.train(dataset: ds, config: cfg, checkpoint: CheckpointOptions(path: ck, every: 14, resume: true))
        #expect(polls == 41 - 23 + 1)
        #expect(try file(resumed) == (try file(whole)))
        #expect(resumed.bestStep == whole.bestStep && resumed.validationAccuracy == whole.validationAccuracy)

        // restarts: a series stopped in its second run resumes without repeating the first, with the same result
        let series = try KWSTrainer.trainBest(dataset: ds, config: cfg, restarts: 2)
        #expect(series.runs.map(\.seed) == [cfg.seed, cfg.seed + 1])
        #expect(series.validationAccuracy == series.runs.map(\.validationAccuracy).max())
        let sk = "\(dir)/series.ckpt"
        var calls = 0
        #expect { try KWSTrainer.trainBest(dataset: ds, config: cfg, restarts: 2, checkpoint: CheckpointOptions(
            path: sk, every: 1000, shouldStop: { calls += 1; return calls > 60 + 30 })) } throws: { e in (e as? KWSError)?.kind == .interrupted }
        #expect(KWSTrainer.checkpointPaths(sk, config: cfg, restarts: 2).allSatisfy { FileManager.default.fileExists(atPath: $0) })
        calls = 0
        let seriesResumed = try KWSTrainer.trainBest(dataset: ds, config: cfg, restarts: 2, checkpoint: CheckpointOptions(
            path: sk, every: 1000, resume: true, shouldStop: { calls += 1; return false }))
        #expect(calls == 30, "the finished first run is not repeated")
        #expect(try file(seriesResumed) == (try file(series)) && seriesResumed.seed == series.seed)

        // a checkpoint from other options or other data is refused, naming the cause
        var other = cfg; other.learningRate = 0.02
        #expect { try KWSTrainer.train(dataset: ds, config: other, checkpoint: CheckpointOptions(path: ck, resume: true)) } throws: { e in
            guard let e = e as? KWSError else { return false }
            return e.kind == .checkpoint && e.file == ck && e.reason.contains("other training options") && e.reason.contains("learningRate")
        }
        let otherData = KWSDataset(root: "memory-task", clips: memoryTask(count: 48, seed: 5, split: .train)
                                   + memoryTask(count: 12, seed: 2, split: .validation), skipped: [])
        #expect { try KWSTrainer.train(dataset: otherData, config: cfg, checkpoint: CheckpointOptions(path: ck, resume: true)) } throws: { e in
            guard let e = e as? KWSError else { return false }
            return e.kind == .checkpoint && e.reason.contains("other data")
        }
        try Data("{\"format\": \"something\"}".utf8).write(to: URL(fileURLWithPath: ck))
        #expect { try KWSTrainer.train(dataset: ds, config: cfg, checkpoint: CheckpointOptions(path: ck, resume: true)) } throws: { e in
            (e as? KWSError)?.kind == .checkpoint
        }
    }
}
