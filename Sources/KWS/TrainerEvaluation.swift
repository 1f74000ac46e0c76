// Evaluating a network on clips (majority-vote decisions, confusion table, dense-layer current) and the
// class-balanced accuracy that selects checkpoints.
import Foundation
import BMRUModel

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
        let decided = ParallelSlots(decisions), dense = ParallelSlots(currents)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            var tape: FQTape? = nil
            while i < clips.count {
                if tape?.frames != clips[i].frames { tape = FQTape(net: net, frames: clips[i].frames) }
                decided[i] = net.decide(clips[i].features, tape: tape!).decision
                dense[i] = net.denseCurrent(tape: tape!) / Double(max(1, clips[i].frames))
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

    /// Class-balanced accuracy (mean of the accuracy on "yes" clips and on the other clips).
    static func classBalanced(_ e: Evaluation) -> Double {
        let yesN = e.confusion[1][0] + e.confusion[1][1], otherN = e.confusion[0][0] + e.confusion[0][1]
        if yesN == 0 || otherN == 0 { return e.accuracy }
        return 0.5 * (Double(e.confusion[1][1]) / Double(yesN) + Double(e.confusion[0][0]) / Double(otherN))
    }
}
