// The training loop: `KWSTrainer.train` as named steps on a `TrainingRun` (set up or resume, stop when asked,
// draw a batch, compute its gradient, take the optimiser step, evaluate, checkpoint, pick the result), and the
// series of restarts around it.
import Foundation
import BMRUModel

extension KWSTrainer {
    /// Trains on the dataset's training split, selecting by class-balanced accuracy on the whole
    /// validation split (never the test split). With `checkpoint`, the state is saved atomically every
    /// `checkpoint.every` steps and when `checkpoint.shouldStop()` becomes true (then `.interrupted` is
    /// thrown); with `checkpoint.resume` training continues from the saved state and ends with the same
    /// network as an uninterrupted run.
    public static func train(dataset: KWSDataset, config cfg: TrainerConfig, checkpoint ck: CheckpointOptions? = nil,
                             progress: ((TrainProgress) -> Void)? = nil) throws -> TrainResult {
        try cfg.validate()
        let start = Date()
        var run = try TrainingRun(dataset: dataset, config: cfg, checkpoint: ck)
        for s in run.st.step..<cfg.steps {
            try run.stopIfAsked(before: s)
            let eps = cfg.epsilon(at: s)
            let batch = drawBatch(step: s, cfg, yes: run.yes, negPools: run.negPools, negError: run.st.negError)
            var g = run.gradient(of: batch, step: s, epsilon: eps)
            clipGradient(&g, cfg)
            adamW(&run.net, &run.st, gradient: g, step: s, decayMask: run.decayMask, cfg)
            updateAverage(&run.st, run.net, step: s, cfg)
            run.st.step = s + 1
            run.evaluateIfDue(after: s, epsilon: eps, progress: progress)
            try run.checkpointIfDue(after: s)
        }
        return try run.finish(start: start)
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

/// One training run: the clips and pools it draws from, the network, the state carried from step to step, and
/// the shards that compute the gradient.
struct TrainingRun {
    let cfg: TrainerConfig
    let ck: CheckpointOptions?
    let train: [FeatureClip]
    let validation: [FeatureClip]
    /// training clip indices of "yes", and of each negative word
    let yes: [Int]
    let negPools: [[Int]]
    /// 1 for the parameters weight decay acts on (weights), 0 for the others
    let decayMask: [Double]
    let shards: [Shard]
    let frameWeights: [Double]?
    let stepFunction: StepFunction
    /// the data fingerprint a checkpoint is tied to ("" without checkpoints)
    let dataPrint: String
    var net: FQNet
    var st: TrainState

    /// The initial network and state, or the state of the checkpoint when resuming.
    init(dataset: KWSDataset, config cfg: TrainerConfig, checkpoint ck: CheckpointOptions?) throws {
        self.cfg = cfg
        self.ck = ck
        train = dataset.clips(.train)
        var validation = dataset.clips(.validation)
        if validation.isEmpty { validation = dataset.balanced(.train) }
        self.validation = validation
        guard let first = train.first else { throw KWSError(.badDataset, file: dataset.root, reason: "empty training split") }
        guard train.allSatisfy({ $0.frames == first.frames && $0.coefficients == first.coefficients }) else {
            throw KWSError(.badDataset, file: dataset.root, reason: "clips have different frame counts")
        }
        (yes, negPools) = try Self.pools(train, root: dataset.root)
        net = FQNet(inputs: first.coefficients, width: cfg.width ?? cfg.state, state: cfg.state,
                    blocks: cfg.blocks, classes: 2, seed: cfg.seed)
        KWSTrainer.project(&net, cfg)
        let np = net.parameterCount
        let decay = Set(net.weightIndices)
        decayMask = (0..<np).map { decay.contains($0) ? 1.0 : 0.0 }
        st = TrainState(step: 0, params: net.params, m: [Double](repeating: 0, count: np),
                        v: [Double](repeating: 0, count: np), ema: cfg.emaDecay > 0 ? net.params : [],
                        best: nil, bestAccuracy: 0, bestStep: 0,
                        negError: [Double](repeating: 0.5, count: negPools.count),
                        recentLoss: 0, recentCorrect: 0, recentCount: 0)
        dataPrint = ck == nil ? "" : KWSTrainer.fingerprint(dataset)
        if let ck = ck, ck.resume, FileManager.default.fileExists(atPath: ck.path) {
            st = try TrainCheckpoint.load(path: ck.path, config: cfg, fingerprint: dataPrint, parameters: np)
            net.params = st.params
        }
        let net = net
        shards = (0..<cfg.shards).map { _ in Shard(net: net, frames: first.frames) }
        frameWeights = KWSTrainer.frameWeights(frames: first.frames, cfg)
        stepFunction = .heaviside(surrogateScale: cfg.surrogateScale)
    }

    /// Class pools: the training clips of "yes", and those of each negative word that has any.
    static func pools(_ train: [FeatureClip], root: String) throws -> (yes: [Int], negatives: [[Int]]) {
        let yes = train.indices.filter { train[$0].word == .yes }
        let negPools = KWSWord.allCases.filter { !$0.isKeyword }.map { w in train.indices.filter { train[$0].word == w } }
            .filter { !$0.isEmpty }
        guard !yes.isEmpty, !negPools.isEmpty else {
            throw KWSError(.badDataset, file: root, reason: "training split needs 'yes' clips and negative clips")
        }
        return (yes, negPools)
    }

    mutating func save() throws {
        guard let ck = ck else { return }
        st.params = net.params
        try TrainCheckpoint.save(st, config: cfg, fingerprint: dataPrint, path: ck.path)
    }

    /// Before step `s`: when the checkpoint options ask to stop, saves and throws `.interrupted`.
    mutating func stopIfAsked(before s: Int) throws {
        guard let ck = ck, ck.shouldStop() else { return }
        try save()
        throw KWSError(.interrupted, file: ck.path, reason: "training stopped at step \(s) of \(cfg.steps); checkpoint written")
    }

    /// The summed gradient of the batch; the loss, the correct decisions and the negative words' error rates
    /// go into the state.
    mutating func gradient(of batch: TrainingBatch, step s: Int, epsilon eps: Double) -> [Double] {
        KWSTrainer.computeShards(shards, batch: batch, clips: train, net: net, step: s, epsilon: eps,
                                 function: stepFunction, frameWeights: frameWeights, cfg)
        let np = net.parameterCount
        var g = [Double](repeating: 0, count: np)
        for sh in shards {
            for i in 0..<np { g[i] += sh.grad[i] }
            st.recentLoss += sh.loss; st.recentCorrect += sh.correct
        }
        for (i, w) in batch.words.enumerated() where w >= 0 {
            let wrong = shards[i % shards.count].right[i] ? 0.0 : 1.0
            st.negError[w] = 0.98 * st.negError[w] + 0.02 * (0.05 + wrong)
        }
        st.recentCount += cfg.batch
        return g
    }

    /// After step `s`, every `evalEvery` steps and at the end: reports progress; once ε is 0, evaluates the
    /// exported network on the validation clips and keeps it when it is the best so far (the later on ties).
    mutating func evaluateIfDue(after s: Int, epsilon eps: Double, progress: ((TrainProgress) -> Void)?) {
        guard (s + 1) % cfg.evalEvery == 0 || s + 1 == cfg.steps else { return }
        var valAcc: Double? = nil, valCurrent: Double? = nil
        if eps == 0 && cfg.epsilon(at: s + 1) == 0 {
            var candidate = net
            if cfg.emaDecay > 0 { candidate.params = st.ema }
            let hw = KWSTrainer.hardwareNet(candidate, cfg)
            let ev = KWSTrainer.evaluate(hw, clips: validation)
            let acc = KWSTrainer.classBalanced(ev)
            valAcc = acc
            valCurrent = ev.meanDenseCurrent
            if st.best == nil || acc >= st.bestAccuracy { st.best = hw.params; st.bestAccuracy = acc; st.bestStep = s + 1 }
        }
        progress?(TrainProgress(step: s + 1, epsilon: eps, loss: st.recentLoss / Double(max(1, st.recentCount)),
                                trainAccuracy: Double(st.recentCorrect) / Double(max(1, st.recentCount)),
                                validationAccuracy: valAcc, validationCurrent: valCurrent))
        st.recentLoss = 0; st.recentCorrect = 0; st.recentCount = 0
    }

    /// After step `s`: writes the checkpoint every `ck.every` steps (not after the last step; `finish` does).
    mutating func checkpointIfDue(after s: Int) throws {
        if let ck = ck, (s + 1) % ck.every == 0, s + 1 < cfg.steps { try save() }
    }

    /// The best exported network seen (or, when none was evaluated at ε = 0, the final one, evaluated now).
    mutating func finish(start: Date) throws -> TrainResult {
        var bestNet = net
        if let b = st.best { bestNet.params = b } else {
            if cfg.emaDecay > 0 { bestNet.params = st.ema }
            bestNet = KWSTrainer.hardwareNet(bestNet, cfg)
            st.bestAccuracy = KWSTrainer.classBalanced(KWSTrainer.evaluate(bestNet, clips: validation)); st.bestStep = cfg.steps
        }
        // the finished state stays in the checkpoint (step = steps), so a resumed restart series skips this run
        if ck != nil { try save() }
        return TrainResult(net: bestNet, bestStep: st.bestStep, validationAccuracy: st.bestAccuracy,
                           seconds: Date().timeIntervalSince(start), seed: cfg.seed,
                           runs: [(cfg.seed, st.bestAccuracy, st.bestStep)])
    }
}
