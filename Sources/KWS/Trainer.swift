// Training an FQ-BMRU keyword spotter: balanced mini-batches, BPTT with surrogate gradients over the
// relaxed recursion (ε annealed 1 -> 0), AdamW with cosine decay and gradient clipping, projection of
// the parameters into a range a circuit can realise, and selection of the best ε = 0 checkpoint.
// This file holds the options and schedules (`TrainerConfig`) and what training reports and returns; the
// loop is in TrainerLoop.swift, the batches in TrainerBatch.swift, the optimiser step in TrainerStep.swift,
// evaluation in TrainerEvaluation.swift, checkpoints in TrainerCheckpoint.swift.
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
