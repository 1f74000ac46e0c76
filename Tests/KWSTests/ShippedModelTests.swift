import Foundation
import Testing
import BMRUModel
@testable import KWS

/// The shipped keyword spotter (examples/kws-yes.json) and its test-clip stimuli (examples/kws-{yes,no,left,silence}-N.csv):
/// the ideal behavioural model (BMRUModel.IdealModel) must decide like the trainer's own forward pass,
/// and the parameters must lie in the range the circuit realises.
@Suite struct ShippedModelTests {
    static let examples: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    func stimuli() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path)
            .filter { name in ["yes", "no", "left", "silence"].contains { name.hasPrefix("kws-\($0)-") } && name.hasSuffix(".csv") }.sorted()
        return names.map { Self.examples.appendingPathComponent($0).path }
    }

    @Test func idealModelDecidesLikeTrainer() throws {
        let net = try NetworkFile.load(path: Self.examples.appendingPathComponent("kws-yes.json").path)
        let fq = try FQNet(network: net)
        let files = try stimuli()
        try #require(files.count >= 3, "examples/kws-*.csv stimuli are missing")
        var decisions = Set<Int>()
        for f in files {
            let stim = try StimulusFile.load(path: f, inputs: net.inputs)
            #expect(stim.frames.count == 101, "\(f)")
            let trace = IdealModel(network: net).run(stim)
            let out = try #require(trace.layers.last).outputs
            let ideal = out.filter { $0[1] > $0[0] }.count * 2 > out.count ? 1 : 0
            let mine = fq.decide(stim.frames.flatMap { $0 }, frames: stim.frames.count)
            #expect(ideal == mine.decision, "\(f)")
            // per frame, the logits agree to rounding, and so every frame's vote
            for t in 0..<out.count {
                #expect(abs(out[t][0] - mine.logits[t][0]) < 1e-9 && abs(out[t][1] - mine.logits[t][1]) < 1e-9, "\(f) frame \(t)")
            }
            decisions.insert(ideal)
            // the file name says what the clip is; the shipped clips are ones the network gets right
            let isYes = (f as NSString).lastPathComponent.hasPrefix("kws-yes")
            #expect(ideal == (isYes ? 1 : 0), "\(f) decided \(ideal)")
        }
        #expect(decisions.count == 2, "the shipped clips should show both decisions")
    }

    @Test func parametersInCircuitRange() throws {
        let net = try NetworkFile.load(path: Self.examples.appendingPathComponent("kws-yes.json").path)
        #expect(net.inputs == 13 && net.layers.last?.outputs == 2)
        #expect(net.layers.filter { $0.kind == .bmru }.allSatisfy { $0.outputs == 4 })
        for l in net.layers {
            for w in l.weights.flatMap({ $0 }) + l.bias { #expect(w == 0 || (abs(w) >= 0.05 && abs(w) <= 4), "\(l.name): \(w)") }
            guard l.kind == .bmru else { continue }
            for j in 0..<l.outputs {
                let lo = l.thetaLow![j], hi = l.thetaHigh![j], lv = l.level![j]
                #expect(lo >= 0.1 - 1e-12 && hi <= 3 + 1e-12 && hi - lo >= 0.1 - 1e-12, "\(l.name)[\(j)] θ \(lo)..\(hi)")
                #expect(lv >= 0.1 && lv <= 3, "\(l.name)[\(j)] level \(lv)")
            }
        }
        #expect(net.metadataJSON?.contains("hardware_range") == true)
    }
}
