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
}

public struct TrainResult: Sendable {
    public var net: FQNet
    public var bestStep: Int
    public var validationAccuracy: Double
    public var seconds: Double
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
}

public enum KWSTrainer {
    /// Evaluates the exact network (ε = 0, Heaviside) on clips in parallel.
    public static func evaluate(_ net: FQNet, clips: [FeatureClip]) -> Evaluation {
        let decisions = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, clips.count))
        defer { decisions.deallocate() }
        let chunks = max(1, min(clips.count, 16))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            var tape: FQTape? = nil
            while i < clips.count {
                if tape?.frames != clips[i].frames { tape = FQTape(net: net, frames: clips[i].frames) }
                decisions[i] = net.decide(clips[i].features, tape: tape!).decision
                i += chunks
            }
        }
        var e = Evaluation(total: clips.count, correct: 0, byWord: [:], confusion: [[0, 0], [0, 0]])
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

    /// Trains on the dataset's training split, selecting by balanced validation accuracy.
    public static func train(dataset: KWSDataset, config cfg: TrainerConfig,
                             progress: ((TrainProgress) -> Void)? = nil) throws -> TrainResult {
        try cfg.validate()
        let start = Date()
        let train = dataset.clips(.train)
        var validation = dataset.balanced(.validation)
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
        var m = [Double](repeating: 0, count: np), v = m
        let shards = (0..<cfg.shards).map { _ in Shard(net: net, frames: first.frames) }
        var rng = KWSRandom(seed: cfg.seed, 20)
        var best: (net: FQNet, acc: Double, step: Int)? = nil
        // running error rate of each negative word on the training batches
        var negError = [Double](repeating: 0.5, count: negPools.count)
        var recentLoss = 0.0, recentCorrect = 0, recentCount = 0
        let step: StepFunction = .heaviside(surrogateScale: cfg.surrogateScale)
        for s in 0..<cfg.steps {
            let eps = cfg.epsilon(at: s)
            // balanced batch: half "yes", half negatives spread uniformly over the negative words
            var batch: [(Int, Int)] = []
            var batchWord: [Int] = []
            for b in 0..<cfg.batch {
                if b % 2 == 0 { batch.append((yes[rng.index(yes.count)], 1)) }
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
                    let r = current.lossAndGradient(train[ci].features[...], label: label, tape: sh.tape, epsilon: eps,
                                                    step: step, grad: sh.grad, scale: scale)
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
                recentLoss += sh.loss; recentCorrect += sh.correct
            }
            for (i, w) in batchWord.enumerated() where w >= 0 {
                let wrong = shards[i % shards.count].right[i] ? 0.0 : 1.0
                negError[w] = 0.98 * negError[w] + 0.02 * (0.05 + wrong)
            }
            recentCount += cfg.batch
            // clip the global gradient norm
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > cfg.gradientClip { let f = cfg.gradientClip / norm; for i in 0..<np { g[i] *= f } }
            // AdamW
            let lr = cfg.learningRate(at: s)
            let b1 = 0.9, b2 = 0.999
            let c1 = 1 - pow(b1, Double(s + 1)), c2 = 1 - pow(b2, Double(s + 1))
            for i in 0..<np {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                net.params[i] -= lr * ((m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8) + cfg.weightDecay * decayMask[i] * net.params[i])
            }
            project(&net, cfg)
            if (s + 1) % cfg.evalEvery == 0 || s + 1 == cfg.steps {
                var valAcc: Double? = nil
                if eps == 0 && cfg.epsilon(at: s + 1) == 0 {
                    let hw = hardwareNet(net, cfg)
                    let acc = evaluate(hw, clips: validation).accuracy
                    valAcc = acc
                    if best == nil || acc >= best!.acc { best = (hw, acc, s + 1) }
                }
                progress?(TrainProgress(step: s + 1, epsilon: eps, loss: recentLoss / Double(max(1, recentCount)),
                                        trainAccuracy: Double(recentCorrect) / Double(max(1, recentCount)),
                                        validationAccuracy: valAcc))
                recentLoss = 0; recentCorrect = 0; recentCount = 0
            }
        }
        if best == nil {
            let hw = hardwareNet(net, cfg)
            best = (hw, evaluate(hw, clips: validation).accuracy, cfg.steps)
        }
        return TrainResult(net: best!.net, bestStep: best!.step, validationAccuracy: best!.acc,
                           seconds: Date().timeIntervalSince(start))
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
