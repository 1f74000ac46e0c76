import Foundation
import Testing
import BMRUModel
@testable import KWS

@Suite struct CrossbarTrainerTests {
    static func dataset() -> KWSDataset {
        let t = TrainingTests()
        return KWSDataset(root: "memory-task", clips: t.memoryTask(count: 120, seed: 1, split: .train)
                          + t.memoryTask(count: 40, seed: 2, split: .validation) + t.memoryTask(count: 60, seed: 3, split: .test), skipped: [])
    }

    /// BPTT against central differences of the loss (ideal and quantized forward: in the quantized pass the
    /// straight-through gradient is by definition not the derivative, so only the ideal one is checked there)
    @Test func gradientMatchesFiniteDifferences() throws {
        var s = CrossbarSpotter(inputs: 3, units: 2, adcBits: 5, rnnRange: -3...3, seed: 5)
        s.b = [0.1, -0.2]; s.c = [0.05, -0.05]
        var g = SeededGenerator(seed: 9)
        let T = 6
        let x = (0..<(T * 3)).map { _ in g.nextDouble(in: -1, 1) }
        let (ra, oa) = CrossbarTrainer.adcs(s)
        let (_, grad) = s.lossAndGradient(x, frames: T, label: 1, quantized: false, rnnADC: ra, outADC: oa)
        let p = s.flat()
        let h = 1e-6
        for k in p.indices {
            var a = s, b = s
            var pa = p, pb = p
            pa[k] += h; pb[k] -= h
            a.setFlat(pa); b.setFlat(pb)
            let la = a.lossAndGradient(x, frames: T, label: 1, quantized: false, rnnADC: ra, outADC: oa).0
            let lb = b.lossAndGradient(x, frames: T, label: 1, quantized: false, rnnADC: ra, outADC: oa).0
            let numeric = (la - lb) / (2 * h)
            #expect(abs(numeric - grad[k]) < 1e-6 * max(1, abs(numeric)), "parameter \(k): numeric \(numeric), BPTT \(grad[k])")
        }
    }

    @Test func learnsTheMemoryTaskAndExportsWhatItDecides() throws {
        let ds = Self.dataset()
        var cfg = CrossbarTrainerConfig()
        cfg.units = 4; cfg.steps = 300; cfg.batch = 16; cfg.shards = 4; cfg.evalEvery = 25; cfg.learningRate = 0.03; cfg.seed = 3
        let r = try CrossbarTrainer.train(dataset: ds, config: cfg)
        let net = r.spotter.network(name: "tiny", inputRange: r.inputRange, metadataJSON: "{}")
        #expect(CrossbarNetworkFile.validate(net, file: "tiny").isEmpty)
        let test = CrossbarEvaluation.evaluate(net, clips: ds.clips(.test), mode: .quantized)
        #expect(test.balancedAccuracy >= 0.9, "quantized test accuracy \(test.balancedAccuracy)")
        // the exported file, run by CrossbarModel, decides every clip as the trainer's own quantized forward pass
        let (ra, oa) = CrossbarTrainer.adcs(r.spotter)
        for c in ds.clips(.test) {
            #expect(CrossbarEvaluation.decide(net, c, mode: .quantized) == r.spotter.decide(c.features, frames: c.frames, quantized: true, rnnADC: ra, outADC: oa))
        }
        // weights inside ±weightMax
        #expect(r.spotter.flat().allSatisfy { abs($0) <= cfg.weightMax })
    }

    @Test func deterministicForASeed() throws {
        let ds = Self.dataset()
        var cfg = CrossbarTrainerConfig()
        cfg.units = 3; cfg.steps = 60; cfg.batch = 16; cfg.evalEvery = 20; cfg.seed = 7
        let a = try CrossbarTrainer.train(dataset: ds, config: cfg), b = try CrossbarTrainer.train(dataset: ds, config: cfg)
        let na = a.spotter.network(name: "d", inputRange: a.inputRange, metadataJSON: nil)
        let nb = b.spotter.network(name: "d", inputRange: b.inputRange, metadataJSON: nil)
        #expect(try CrossbarNetworkFile.encode(na) == CrossbarNetworkFile.encode(nb))
        cfg.shards = 1
        let c = try CrossbarTrainer.train(dataset: ds, config: cfg)
        #expect(c.spotter.network(name: "d", inputRange: c.inputRange, metadataJSON: nil).layers.count == 2)
    }
}
