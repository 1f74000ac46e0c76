// Training an FQ-BMRU keyword spotter: balanced mini-batches, BPTT with surrogate gradients over the
// relaxed recursion (ε annealed 1 -> 0), AdamW with cosine decay and gradient clipping, projection of
// the parameters into a range a circuit can realise, and selection of the best ε = 0 checkpoint.
import Foundation
import BMRUModel

public struct TrainerConfig: Sendable, Codable, Equatable {
    /// bmru width ("state") and dense width (nil = same as state)
    public var state = 4
    public var width: Int? = nil
    public var blocks = 2
    public var steps = 8000
    public var batch = 128
    public var learningRate = 0.01
    public var warmupSteps = 100
    public var weightDecay = 1e-4
    public var gradientClip = 1.0
    /// ε starts here and falls (cosine) to 0 at `epsilonZeroFraction` of the steps; afterwards ε = 0
    public var epsilonStart = 0.0
    public var epsilonZeroFraction = 0.5
    public var surrogateScale = 0.5
    public var seed: UInt64 = 1
    /// the batch is split into this many shards computed in parallel and summed in order (determinism)
    public var shards = 8
    /// compute the shards on all cores (true) or one after another (false; same result, for benchmarks)
    public var parallel = true
    public var evalEvery = 100
    /// Draw half of the negatives by word in proportion to each word's recent error rate on the training
    /// batches (the other half uniformly), so confusable words (e.g. "left" for "yes") get more weight.
    public var hardNegatives = false
    // Data augmentation of the training clips (on the MFCC frames; each clip of each step gets its own
    // draw from a stream labelled by seed, step and batch position, so resuming and threads change nothing):
    /// shift the clip by up to ± this many frames (the vacated frames repeat the edge frame)
    public var augmentShift = 0
    /// add Gaussian noise of this standard deviation to every feature
    public var augmentNoise = 0.0
    /// SpecAugment-like masks: this many time masks of 1...timeMaskWidth frames and frequency masks of
    /// 1...freqMaskWidth coefficients, set to the coefficient's mean over the clip
    public var timeMasks = 0
    public var timeMaskWidth = 10
    public var freqMasks = 0
    public var freqMaskWidth = 2
    /// per-frame loss weights rise linearly from `lossWeightStart` at frame 0 to 1 at frame `lossRamp`
    /// (0 = equal weights); normalised to mean 1. The network can only know the word after hearing it.
    public var lossRamp = 0
    public var lossWeightStart = 0.0
    /// evaluate and select an exponential moving average of the parameters (decay per step; 0 = off)
    public var emaDecay = 0.0
    /// Weight λ of the power term: the loss gains λ × the mean per-frame current of the dense layers'
    /// mirrors, in units (`FQNet.lossAndGradient`); nil or 0 = off. (Optional so older checkpoints still read.)
    public var powerWeight: Double? = nil
    // Hardware range (model units; 1 unit = unit_current): weights and biases are clamped to
    // |w| ≤ weightMax during training and |w| < weightMin is set to exactly 0 in the exported network;
    // θ_low, θ_high and level lie in [thetaMin, thetaMax]; θ_high − θ_low ≥ hysteresisMin.
    public var weightMin = 0.05
    public var weightMax = 4.0
    public var thetaMin = 0.1
    public var thetaMax = 3.0
    public var hysteresisMin = 0.1
    public init() {}

    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> KWSError { KWSError(.training, file: field, reason: reason) }
        guard (1...4096).contains(state) else { throw bad("state", "must be in 1...4096") }
        guard (1...4096).contains(width ?? state) else { throw bad("width", "must be in 1...4096") }
        guard (1...64).contains(blocks) else { throw bad("blocks", "must be in 1...64") }
        guard steps >= 1 else { throw bad("steps", "must be ≥ 1") }
        guard batch >= 2 else { throw bad("batch", "must be ≥ 2") }
        guard shards >= 1 && shards <= batch else { throw bad("shards", "must be in 1...batch") }
        guard learningRate > 0, learningRate.isFinite else { throw bad("learning-rate", "must be > 0") }
        guard (0...1).contains(epsilonStart) else { throw bad("epsilon-start", "must be in 0...1") }
        guard (0...1).contains(epsilonZeroFraction) else { throw bad("epsilon-zero-fraction", "must be in 0...1") }
        guard surrogateScale > 0 else { throw bad("surrogate-scale", "must be > 0") }
        guard evalEvery >= 1 else { throw bad("eval-every", "must be ≥ 1") }
        guard augmentShift >= 0, augmentNoise >= 0, timeMasks >= 0, freqMasks >= 0, timeMaskWidth >= 1, freqMaskWidth >= 1 else {
            throw bad("augment", "shift, noise, mask counts must be ≥ 0 and mask widths ≥ 1")
        }
        guard lossRamp >= 0, (0...1).contains(lossWeightStart) else { throw bad("loss-ramp", "ramp must be ≥ 0 frames, start weight in 0...1") }
        guard (0..<1).contains(emaDecay) else { throw bad("ema", "must be in [0, 1)") }
        guard (powerWeight ?? 0) >= 0, (powerWeight ?? 0).isFinite else { throw bad("power-weight", "must be a finite number ≥ 0") }
        guard thetaMin >= 0, thetaMax > thetaMin + hysteresisMin, weightMax > weightMin, weightMin >= 0 else {
            throw bad("ranges", "need 0 ≤ thetaMin, thetaMin + hysteresisMin < thetaMax, 0 ≤ weightMin < weightMax")
        }
    }

    /// ε at a step: cosine from epsilonStart to 0 over the first epsilonZeroFraction of the steps.
    public func epsilon(at step: Int) -> Double {
        let end = Double(steps) * epsilonZeroFraction
        if end <= 0 || Double(step) >= end { return 0 }
        return epsilonStart * 0.5 * (1 + cos(Double.pi * Double(step) / end))
    }

    /// learning rate at a step: linear warm-up, then cosine decay to 5 % of the peak.
    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps { return learningRate * Double(step + 1) / Double(warmupSteps) }
        let p = Double(step - warmupSteps) / Double(max(1, steps - warmupSteps))
        return learningRate * (0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * min(1, p))))
    }
}

/// One progress report (every `evalEvery` steps and at the end).
public struct TrainProgress: Sendable {
    public var step: Int
    public var epsilon: Double
    public var loss: Double
    /// accuracy of majority votes on the recent training batches
    public var trainAccuracy: Double
    /// balanced validation accuracy of the exact (ε = 0, snapped) network; nil while ε > 0
    public var validationAccuracy: Double?
    /// that network's mean dense-layer current on the validation clips, units; nil while ε > 0
    public var validationCurrent: Double? = nil
}

public struct TrainResult: Sendable {
    public var net: FQNet
    public var bestStep: Int
    public var validationAccuracy: Double
    public var seconds: Double
    /// the seed of the run that gave `net`
    public var seed: UInt64 = 0
    /// with restarts: every seed tried and its validation accuracy, in order
    public var runs: [(seed: UInt64, validationAccuracy: Double, bestStep: Int)] = []
}

/// Evaluation of a network on clips: accuracy of the majority-vote decision and a confusion table.
public struct Evaluation: Sendable {
    public var total: Int
    public var correct: Int
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// per source word: how many clips were decided "yes" (index 1) and "not yes" (index 0)
    public var byWord: [KWSWord: [Int]]
    /// confusion[true label][decided label], labels 0 = other, 1 = yes
    public var confusion: [[Int]]
    /// mean over clips and frames of the dense layers' mirror current, units (`FQNet.denseCurrent`)
    public var meanDenseCurrent: Double = 0
}

public enum KWSTrainer {
    /// Evaluates the exact network (ε = 0, Heaviside) on clips in parallel.
    public static func evaluate(_ net: FQNet, clips: [FeatureClip]) -> Evaluation {
        let decisions = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, clips.count))
        defer { decisions.deallocate() }
        let currents = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, clips.count))
        defer { currents.deallocate() }
        let chunks = max(1, min(clips.count, 16))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            var tape: FQTape? = nil
            while i < clips.count {
                if tape?.frames != clips[i].frames { tape = FQTape(net: net, frames: clips[i].frames) }
                decisions[i] = net.decide(clips[i].features, tape: tape!).decision
                currents[i] = net.denseCurrent(tape: tape!) / Double(max(1, clips[i].frames))
                i += chunks
            }
        }
        var e = Evaluation(total: clips.count, correct: 0, byWord: [:], confusion: [[0, 0], [0, 0]])
        for i in clips.indices { e.meanDenseCurrent += currents[i] / Double(clips.count) }
        for (i, c) in clips.enumerated() {
            let d = decisions[i]
            if d == c.label { e.correct += 1 }
            e.confusion[c.label][min(d, 1)] += 1
            e.byWord[c.word, default: [0, 0]][min(d, 1)] += 1
        }
        return e
    }

    /// Projects parameters into the hardware range (during training: no snapping to zero).
    static func project(_ net: inout FQNet, _ cfg: TrainerConfig) {
        for i in net.weightIndices { net.params[i] = min(cfg.weightMax, max(-cfg.weightMax, net.params[i])) }
        for l in net.layers where l.kind == .bmru {
            for j in 0..<l.outputs {
                let lo = min(cfg.thetaMax - cfg.hysteresisMin, max(cfg.thetaMin, net.params[l.thLow + j]))
                net.params[l.thLow + j] = lo
                net.params[l.thWidth + j] = min(cfg.thetaMax - lo, max(cfg.hysteresisMin, net.params[l.thWidth + j]))
                net.params[l.level + j] = min(cfg.thetaMax, max(cfg.thetaMin, net.params[l.level + j]))
            }
        }
    }

    /// The exported form: projected, and weights/biases with |w| < weightMin set to exactly 0.
    public static func hardwareNet(_ net: FQNet, _ cfg: TrainerConfig) -> FQNet {
        var n = net
        project(&n, cfg)
        for i in n.weightIndices where abs(n.params[i]) < cfg.weightMin { n.params[i] = 0 }
        return n
    }

    /// Per-frame loss weights (mean 1): linear rise from `lossWeightStart` to 1 over `lossRamp` frames.
    static func frameWeights(frames: Int, _ cfg: TrainerConfig) -> [Double]? {
        guard cfg.lossRamp > 0, frames > 0 else { return nil }
        let w = (0..<frames).map { t in cfg.lossWeightStart + (1 - cfg.lossWeightStart) * min(1, Double(t) / Double(cfg.lossRamp)) }
        let mean = w.reduce(0, +) / Double(frames)
        return mean > 0 ? w.map { $0 / mean } : nil
    }

    /// The augmented copy of a clip's features (frames × coefficients) for training step `step`,
    /// batch position `position`; the clip itself when no augmentation is configured.
    static func augmented(_ x: [Double], frames T: Int, coefficients C: Int, _ cfg: TrainerConfig,
                          step: Int, position: Int, into out: inout [Double]) {
        out = x
        guard cfg.augmentShift > 0 || cfg.augmentNoise > 0 || cfg.timeMasks > 0 || cfg.freqMasks > 0 else { return }
        var r = KWSRandom(seed: cfg.seed, 21, UInt64(step), UInt64(position))
        if cfg.augmentShift > 0 {
            let k = r.index(2 * cfg.augmentShift + 1) - cfg.augmentShift
            if k != 0 {
                for t in 0..<T {
                    let src = min(T - 1, max(0, t - k))
                    for c in 0..<C { out[t * C + c] = x[src * C + c] }
                }
            }
        }
        // masked values become the coefficient's mean over the clip (the features' offset after z-normalisation)
        var mean = [Double](repeating: 0, count: C)
        if cfg.timeMasks > 0 || cfg.freqMasks > 0 {
            for t in 0..<T { for c in 0..<C { mean[c] += x[t * C + c] } }
            for c in 0..<C { mean[c] /= Double(max(1, T)) }
        }
        for _ in 0..<cfg.timeMasks {
            let w = 1 + r.index(cfg.timeMaskWidth), t0 = r.index(max(1, T - w + 1))
            for t in t0..<min(T, t0 + w) { for c in 0..<C { out[t * C + c] = mean[c] } }
        }
        for _ in 0..<cfg.freqMasks {
            let w = 1 + r.index(cfg.freqMaskWidth), c0 = r.index(max(1, C - w + 1))
            for t in 0..<T { for c in c0..<min(C, c0 + w) { out[t * C + c] = mean[c] } }
        }
        if cfg.augmentNoise > 0 { for i in out.indices { out[i] += cfg.augmentNoise * r.normal() } }
    }

    /// Class-balanced accuracy (mean of the accuracy on "yes" clips and on the other clips).
    static func classBalanced(_ e: Evaluation) -> Double {
        let yesN = e.confusion[1][0] + e.confusion[1][1], otherN = e.confusion[0][0] + e.confusion[0][1]
        if yesN == 0 || otherN == 0 { return e.accuracy }
        return 0.5 * (Double(e.confusion[1][1]) / Double(yesN) + Double(e.confusion[0][0]) / Double(otherN))
    }

    /// A fingerprint of the training and validation clips (ids, words, splits and every feature bit):
    /// a checkpoint is only resumed on the same data.
    public static func fingerprint(_ dataset: KWSDataset) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ x: UInt64) { h = (h ^ x) &* 0x100_0000_01b3; h ^= h >> 29 }
        for c in dataset.clips where c.split != .test {
            for b in c.id.utf8 { mix(UInt64(b)) }
            for b in c.word.rawValue.utf8 { mix(UInt64(b)) }
            for b in c.split.rawValue.utf8 { mix(UInt64(b)) }
            mix(UInt64(c.frames)); mix(UInt64(c.coefficients))
            for v in c.features { mix(v.bitPattern) }
        }
        return String(h, radix: 16).leftPadded(16)
    }

    /// Trains on the dataset's training split, selecting by class-balanced accuracy on the whole
    /// validation split (never the test split). With `checkpoint`, the state is saved atomically every
    /// `checkpoint.every` steps and when `checkpoint.shouldStop()` becomes true (then `.interrupted` is
    /// thrown); with `checkpoint.resume` training continues from the saved state and ends with the same
    /// network as an uninterrupted run.
    public static func train(dataset: KWSDataset, config cfg: TrainerConfig, checkpoint ck: CheckpointOptions? = nil,
                             progress: ((TrainProgress) -> Void)? = nil) throws -> TrainResult {
        try cfg.validate()
        let start = Date()
        let train = dataset.clips(.train)
        var validation = dataset.clips(.validation)
        if validation.isEmpty { validation = dataset.balanced(.train) }
        guard let first = train.first else { throw KWSError(.badDataset, file: dataset.root, reason: "empty training split") }
        guard train.allSatisfy({ $0.frames == first.frames && $0.coefficients == first.coefficients }) else {
            throw KWSError(.badDataset, file: dataset.root, reason: "clips have different frame counts")
        }
        // class pools: yes, and each negative word
        let yes = train.indices.filter { train[$0].word == .yes }
        let negPools = KWSWord.allCases.filter { !$0.isKeyword }.map { w in train.indices.filter { train[$0].word == w } }
            .filter { !$0.isEmpty }
        guard !yes.isEmpty, !negPools.isEmpty else {
            throw KWSError(.badDataset, file: dataset.root, reason: "training split needs 'yes' clips and negative clips")
        }
        var net = FQNet(inputs: first.coefficients, width: cfg.width ?? cfg.state, state: cfg.state,
                        blocks: cfg.blocks, classes: 2, seed: cfg.seed)
        project(&net, cfg)
        let np = net.parameterCount
        let decay = Set(net.weightIndices)
        let decayMask = (0..<np).map { decay.contains($0) ? 1.0 : 0.0 }
        var st = TrainState(step: 0, params: net.params, m: [Double](repeating: 0, count: np),
                            v: [Double](repeating: 0, count: np), ema: cfg.emaDecay > 0 ? net.params : [],
                            best: nil, bestAccuracy: 0, bestStep: 0,
                            negError: [Double](repeating: 0.5, count: negPools.count),
                            recentLoss: 0, recentCorrect: 0, recentCount: 0)
        let dataPrint = ck == nil ? "" : fingerprint(dataset)
        if let ck = ck, ck.resume, FileManager.default.fileExists(atPath: ck.path) {
            st = try TrainCheckpoint.load(path: ck.path, config: cfg, fingerprint: dataPrint, parameters: np)
            net.params = st.params
        }
        let shards = (0..<cfg.shards).map { _ in Shard(net: net, frames: first.frames) }
        let weights = frameWeights(frames: first.frames, cfg)
        let step: StepFunction = .heaviside(surrogateScale: cfg.surrogateScale)
        func save() throws {
            guard let ck = ck else { return }
            st.params = net.params
            try TrainCheckpoint.save(st, config: cfg, fingerprint: dataPrint, path: ck.path)
        }
        for s in st.step..<cfg.steps {
            if let ck = ck, ck.shouldStop() {
                try save()
                throw KWSError(.interrupted, file: ck.path, reason: "training stopped at step \(s) of \(cfg.steps); checkpoint written")
            }
            let eps = cfg.epsilon(at: s)
            // balanced batch: half "yes", half negatives spread uniformly over the negative words
            var rng = KWSRandom(seed: cfg.seed, 20, UInt64(s))
            var batch: [(Int, Int)] = []
            var batchWord: [Int] = []
            for b in 0..<cfg.batch {
                if b % 2 == 0 { batch.append((yes[rng.index(yes.count)], 1)) }
                else {
                    var w = rng.index(negPools.count)
                    if cfg.hardNegatives && b % 4 == 3 {
                        // error-proportional choice (errors smoothed so every word keeps some weight)
                        let total = st.negError.reduce(0, +)
                        var x = rng.unit() * total
                        w = negPools.count - 1
                        for (k, e) in st.negError.enumerated() { if x < e { w = k; break }; x -= e }
                    }
                    let pool = negPools[w]
                    batch.append((pool[rng.index(pool.count)], 0))
                    batchWord.append(w)
                    continue
                }
                batchWord.append(-1)
            }
            let current = net
            let scale = 1 / Double(cfg.batch)
            for sh in shards where sh.right.count != batch.count { sh.right = [Bool](repeating: false, count: batch.count) }
            let work = { (k: Int) in
                let sh = shards[k]
                sh.reset()
                var i = k
                while i < batch.count {
                    let (ci, label) = batch[i]
                    let clip = train[ci]
                    augmented(clip.features, frames: clip.frames, coefficients: clip.coefficients, cfg, step: s, position: i, into: &sh.x)
                    let r = current.lossAndGradient(sh.x[...], label: label, tape: sh.tape, epsilon: eps,
                                                    step: step, grad: sh.grad, scale: scale, frameWeights: weights,
                                                    powerWeight: cfg.powerWeight ?? 0)
                    sh.loss += r.loss
                    let decided = r.votes[1] > r.votes[0] ? 1 : 0
                    if decided == label { sh.correct += 1 }
                    sh.right[i] = decided == label
                    i += shards.count
                }
            }
            if cfg.parallel { DispatchQueue.concurrentPerform(iterations: shards.count, execute: work) }
            else { for k in 0..<shards.count { work(k) } }
            var g = [Double](repeating: 0, count: np)
            for sh in shards {
                for i in 0..<np { g[i] += sh.grad[i] }
                st.recentLoss += sh.loss; st.recentCorrect += sh.correct
            }
            for (i, w) in batchWord.enumerated() where w >= 0 {
                let wrong = shards[i % shards.count].right[i] ? 0.0 : 1.0
                st.negError[w] = 0.98 * st.negError[w] + 0.02 * (0.05 + wrong)
            }
            st.recentCount += cfg.batch
            // clip the global gradient norm
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > cfg.gradientClip { let f = cfg.gradientClip / norm; for i in 0..<np { g[i] *= f } }
            // AdamW
            let lr = cfg.learningRate(at: s)
            let b1 = 0.9, b2 = 0.999
            let c1 = 1 - pow(b1, Double(s + 1)), c2 = 1 - pow(b2, Double(s + 1))
            for i in 0..<np {
                st.m[i] = b1 * st.m[i] + (1 - b1) * g[i]
                st.v[i] = b2 * st.v[i] + (1 - b2) * g[i] * g[i]
                net.params[i] -= lr * ((st.m[i] / c1) / ((st.v[i] / c2).squareRoot() + 1e-8) + cfg.weightDecay * decayMask[i] * net.params[i])
            }
            project(&net, cfg)
            if cfg.emaDecay > 0 {
                // the average restarts when ε reaches 0, so it only mixes networks of the exact form
                let d = cfg.epsilon(at: s) > 0 ? 0 : cfg.emaDecay
                for i in 0..<np { st.ema[i] = d * st.ema[i] + (1 - d) * net.params[i] }
            }
            st.step = s + 1
            if (s + 1) % cfg.evalEvery == 0 || s + 1 == cfg.steps {
                var valAcc: Double? = nil, valCurrent: Double? = nil
                if eps == 0 && cfg.epsilon(at: s + 1) == 0 {
                    var candidate = net
                    if cfg.emaDecay > 0 { candidate.params = st.ema }
                    let hw = hardwareNet(candidate, cfg)
                    let ev = evaluate(hw, clips: validation)
                    let acc = classBalanced(ev)
                    valAcc = acc
                    valCurrent = ev.meanDenseCurrent
                    if st.best == nil || acc >= st.bestAccuracy { st.best = hw.params; st.bestAccuracy = acc; st.bestStep = s + 1 }
                }
                progress?(TrainProgress(step: s + 1, epsilon: eps, loss: st.recentLoss / Double(max(1, st.recentCount)),
                                        trainAccuracy: Double(st.recentCorrect) / Double(max(1, st.recentCount)),
                                        validationAccuracy: valAcc, validationCurrent: valCurrent))
                st.recentLoss = 0; st.recentCorrect = 0; st.recentCount = 0
            }
            if let ck = ck, (s + 1) % ck.every == 0, s + 1 < cfg.steps { try save() }
        }
        var bestNet = net
        if let b = st.best { bestNet.params = b } else {
            if cfg.emaDecay > 0 { bestNet.params = st.ema }
            bestNet = hardwareNet(bestNet, cfg)
            st.bestAccuracy = classBalanced(evaluate(bestNet, clips: validation)); st.bestStep = cfg.steps
        }
        // the finished state stays in the checkpoint (step = steps), so a resumed restart series skips this run
        if ck != nil { try save() }
        return TrainResult(net: bestNet, bestStep: st.bestStep, validationAccuracy: st.bestAccuracy,
                           seconds: Date().timeIntervalSince(start), seed: cfg.seed,
                           runs: [(cfg.seed, st.bestAccuracy, st.bestStep)])
    }

    /// Trains `restarts` networks with seeds seed, seed+1, ... and keeps the one with the best validation
    /// accuracy (the earliest seed on ties); the test split plays no part. Each run has its own checkpoint
    /// (`<path>.seed<N>`), so an interrupted series resumes without repeating finished runs.
    public static func trainBest(dataset: KWSDataset, config cfg: TrainerConfig, restarts: Int,
                                 checkpoint ck: CheckpointOptions? = nil,
                                 progress: ((UInt64, TrainProgress) -> Void)? = nil) throws -> TrainResult {
        guard restarts >= 1 else { throw KWSError(.training, file: "restarts", reason: "must be ≥ 1") }
        if restarts == 1 {
            return try train(dataset: dataset, config: cfg, checkpoint: ck, progress: { progress?(cfg.seed, $0) })
        }
        let start = Date()
        var best: TrainResult? = nil
        var runs: [(seed: UInt64, validationAccuracy: Double, bestStep: Int)] = []
        for k in 0..<restarts {
            var c = cfg
            c.seed = cfg.seed &+ UInt64(k)
            var o = ck
            o?.path = (ck?.path ?? "") + ".seed\(c.seed)"
            let r = try train(dataset: dataset, config: c, checkpoint: o, progress: { progress?(c.seed, $0) })
            runs += r.runs
            if best == nil || r.validationAccuracy > best!.validationAccuracy { best = r }
        }
        var r = best!
        r.runs = runs
        r.seconds = Date().timeIntervalSince(start)
        return r
    }

    /// Checkpoint files `trainBest` uses for a base path.
    public static func checkpointPaths(_ path: String, config cfg: TrainerConfig, restarts: Int) -> [String] {
        restarts <= 1 ? [path] : (0..<restarts).map { "\(path).seed\(cfg.seed &+ UInt64($0))" }
    }
}

/// Where and how often the trainer saves its state, and when to stop.
public struct CheckpointOptions {
    public var path: String
    /// save every this many steps (≥ 1)
    public var every: Int
    /// continue from `path` if it exists
    public var resume: Bool
    /// polled before every step; true = save and throw `.interrupted` (e.g. after SIGINT)
    public var shouldStop: () -> Bool
    public init(path: String, every: Int = 500, resume: Bool = false, shouldStop: @escaping () -> Bool = { false }) {
        self.path = path; self.every = max(1, every); self.resume = resume; self.shouldStop = shouldStop
    }
}

/// Everything the training loop carries from step to step.
struct TrainState {
    var step: Int
    var params: [Double], m: [Double], v: [Double], ema: [Double]
    var best: [Double]?
    var bestAccuracy: Double
    var bestStep: Int
    var negError: [Double]
    var recentLoss: Double, recentCorrect: Int, recentCount: Int
}

/// The checkpoint file (JSON; doubles stored as their IEEE bit patterns so a resumed run is exact).
struct TrainCheckpoint: Codable {
    var format = "bmru-train-checkpoint"
    var version = 1
    var config: TrainerConfig
    var data: String
    var step: Int
    var params: [UInt64], m: [UInt64], v: [UInt64], ema: [UInt64]
    var best: [UInt64]?
    var bestAccuracy: UInt64
    var bestStep: Int
    var negError: [UInt64]
    var recentLoss: UInt64, recentCorrect: Int, recentCount: Int

    static func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }
    static func doubles(_ a: [UInt64]) -> [Double] { a.map(Double.init(bitPattern:)) }

    static func save(_ s: TrainState, config: TrainerConfig, fingerprint: String, path: String) throws {
        var c = config
        c.parallel = true   // threads do not change the result
        let ck = TrainCheckpoint(config: c, data: fingerprint, step: s.step, params: bits(s.params), m: bits(s.m),
                                 v: bits(s.v), ema: bits(s.ema), best: s.best.map(bits), bestAccuracy: s.bestAccuracy.bitPattern,
                                 bestStep: s.bestStep, negError: bits(s.negError), recentLoss: s.recentLoss.bitPattern,
                                 recentCorrect: s.recentCorrect, recentCount: s.recentCount)
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try enc.encode(ck) } catch { throw KWSError(.io, file: path, reason: "cannot encode checkpoint: \(error)") }
        try FileIO.writeAtomically(data, to: path)
    }

    static func load(path: String, config: TrainerConfig, fingerprint: String, parameters np: Int) throws -> TrainState {
        func bad(_ r: String) -> KWSError { KWSError(.checkpoint, file: path, reason: r) }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("cannot read the checkpoint") }
        let ck: TrainCheckpoint
        do { ck = try JSONDecoder().decode(TrainCheckpoint.self, from: data) } catch {
            throw bad("not a bmru training checkpoint (\(error))")
        }
        guard ck.format == "bmru-train-checkpoint", ck.version == 1 else { throw bad("format \(ck.format) v\(ck.version) is not bmru-train-checkpoint v1") }
        var mine = config; mine.parallel = true
        if ck.config != mine {
            // name the options that differ
            let a = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(ck.config))) as? [String: Any] ?? [:]
            let b = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(mine))) as? [String: Any] ?? [:]
            let keys = Set(a.keys).union(b.keys).sorted().filter { k in
                "\(a[k].map { "\($0)" } ?? "nil")" != "\(b[k].map { "\($0)" } ?? "nil")"
            }
            throw bad("made with other training options (\(keys.map { "\($0): checkpoint \(a[$0].map { "\($0)" } ?? "-"), now \(b[$0].map { "\($0)" } ?? "-")" }.joined(separator: "; "))); remove it or use the same options")
        }
        guard ck.data == fingerprint else {
            throw bad("made from other data (fingerprint \(ck.data), this dataset \(fingerprint)); remove it or use the same dataset")
        }
        guard ck.params.count == np, ck.m.count == np, ck.v.count == np, ck.ema.isEmpty || ck.ema.count == np,
              ck.best.map({ $0.count == np }) ?? true, (0...config.steps).contains(ck.step) else {
            throw bad("inconsistent sizes or step")
        }
        return TrainState(step: ck.step, params: doubles(ck.params), m: doubles(ck.m), v: doubles(ck.v), ema: doubles(ck.ema),
                          best: ck.best.map(doubles), bestAccuracy: Double(bitPattern: ck.bestAccuracy), bestStep: ck.bestStep,
                          negError: doubles(ck.negError), recentLoss: Double(bitPattern: ck.recentLoss),
                          recentCorrect: ck.recentCorrect, recentCount: ck.recentCount)
    }
}

final class Shard: @unchecked Sendable {
    let tape: FQTape
    let grad: UnsafeMutablePointer<Double>
    let count: Int
    var loss = 0.0
    var correct = 0
    /// per batch position handled by this shard: decided correctly
    var right: [Bool] = []
    /// the (augmented) features of the clip being computed
    var x: [Double] = []
    init(net: FQNet, frames: Int) {
        tape = FQTape(net: net, frames: frames)
        count = net.parameterCount
        grad = .allocate(capacity: count)
        grad.initialize(repeating: 0, count: count)
    }
    deinit { grad.deallocate() }
    func reset() {
        for i in 0..<count { grad[i] = 0 }
        loss = 0; correct = 0
    }
}
