// The data side of a training step: the balanced batch of clips a step draws, the augmented features of each
// clip, the per-frame loss weights, and the shards that compute the batch's loss and gradient in parallel.
import Foundation
import BMRUModel

/// One step's batch: (training clip index, label) per position, and per position the index of the negative
/// word's pool (-1 for a "yes" clip).
struct TrainingBatch {
    var clips: [(Int, Int)] = []
    var words: [Int] = []
}

extension KWSTrainer {
    /// The balanced batch of step `s`: half "yes", half negatives spread uniformly over the negative words;
    /// with hard negatives every fourth position picks its word in proportion to the words' recent errors.
    static func drawBatch(step s: Int, _ cfg: TrainerConfig, yes: [Int], negPools: [[Int]], negError: [Double]) -> TrainingBatch {
        var rng = KWSRandom(seed: cfg.seed, 20, UInt64(s))
        var batch = TrainingBatch()
        for b in 0..<cfg.batch {
            if b % 2 == 0 { batch.clips.append((yes[rng.index(yes.count)], 1)) }
            else {
                var w = rng.index(negPools.count)
                if cfg.hardNegatives && b % 4 == 3 {
                    // error-proportional choice (errors smoothed so every word keeps some weight)
                    let total = negError.reduce(0, +)
                    var x = rng.unit() * total
                    w = negPools.count - 1
                    for (k, e) in negError.enumerated() { if x < e { w = k; break }; x -= e }
                }
                let pool = negPools[w]
                batch.clips.append((pool[rng.index(pool.count)], 0))
                batch.words.append(w)
                continue
            }
            batch.words.append(-1)
        }
        return batch
    }

    /// The forward and backward passes of a batch: position i on shard i mod shards (all shards at once unless
    /// `cfg.parallel` is off; the result is the same). Each shard keeps its gradient sum, loss, correct count and
    /// which of its positions it decided correctly.
    static func computeShards(_ shards: [Shard], batch: TrainingBatch, clips train: [FeatureClip], net current: FQNet,
                              step s: Int, epsilon eps: Double, function step: StepFunction, frameWeights weights: [Double]?,
                              _ cfg: TrainerConfig) {
        let batch = batch.clips
        let scale = 1 / Double(cfg.batch)
        for sh in shards where sh.right.count != batch.count { sh.right = [Bool](repeating: false, count: batch.count) }
        let work: @Sendable (Int) -> Void = { (k: Int) in
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

}

/// One shard's tape, gradient buffer and tallies.
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
