import Foundation
import Testing
import BMRUModel
@testable import KWS

/// The sliding-window rule of `kws detect`: where the windows fall, how positive windows merge into
/// detections, and that a window is decided exactly as the same samples cut out and classified on their own.
@Suite struct KWSDetectorTests {
    static let network = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/kws-yes.json").path

    @Test func windowGeometry() {
        // 3.3 s at hop 0.25 s: starts 0, 0.25, ..., 2.25 (the last whole window), then one ending at 3.3 s
        let w = KeywordSpotter.windows(count: 52_800, rule: DetectRule(hopSeconds: 0.25))
        #expect(w.count == 10 + 1)
        #expect(w.dropLast().enumerated().allSatisfy { $0.element == ($0.offset * 4000)..<($0.offset * 4000 + 16000) })
        #expect(w.last == 36_800..<52_800)
        // hops that land exactly on the end add no extra window: 3 s at 0.5 s gives 0, 0.5, ..., 2
        #expect(KeywordSpotter.windows(count: 48_000, rule: DetectRule(hopSeconds: 0.5)).count == 5)
        // shorter than a window: the whole recording is the one window
        #expect(KeywordSpotter.windows(count: 9000, rule: DetectRule()) == [0..<9000])
        #expect(KeywordSpotter.windows(count: 16000, rule: DetectRule()) == [0..<16000])
    }

    @Test func mergeRuns() {
        let pattern = [false, true, true, false, true, false, false, true, true, true]
        // windows side by side (hop = length): three separate runs
        func windows(hop: Double) -> [WindowDecision] {
            pattern.enumerated().map { k, yes in
                WindowDecision(startSeconds: Double(k) * hop, endSeconds: Double(k) * hop + 1, yesVotes: yes ? 60 + k : 10, frames: 101, yes: yes)
            }
        }
        let apart = windows(hop: 1)
        let all = KeywordSpotter.merge(apart, rule: DetectRule(minWindows: 1))
        #expect(all.map(\.windows) == [2, 1, 3])
        #expect(all.map(\.votes) == [62, 64, 69])
        #expect(all.map(\.startSeconds) == [1, 4, 7] && all.map(\.endSeconds) == [3, 5, 10])
        // at least two windows: the lone positive window at 4 s is dropped
        #expect(KeywordSpotter.merge(apart, rule: DetectRule(minWindows: 2)).map(\.windows) == [2, 3])
        #expect(KeywordSpotter.merge(apart, rule: DetectRule(minWindows: 4)).isEmpty)
        // 1 s windows every 0.1 s: the runs overlap in time (0.1-1.2, 0.4-1.4, 0.7-1.9 s) and are one detection
        let close = KeywordSpotter.merge(windows(hop: 0.1), rule: DetectRule(minWindows: 1))
        #expect(close.count == 1 && close[0].windows == 6 && close[0].votes == 69)
        #expect(abs(close[0].startSeconds - 0.1) < 1e-12 && abs(close[0].endSeconds - 1.9) < 1e-12)
        // with at least two windows the lone one is dropped before merging; the other two runs still overlap
        let close2 = KeywordSpotter.merge(windows(hop: 0.1), rule: DetectRule(minWindows: 2))
        #expect(close2.count == 1 && close2[0].windows == 5)
    }

    /// Every window's votes are those of its samples classified as a clip of their own (the MFCCs of the window
    /// alone), and a 1 s recording is decided as the dataset loader's clip is by `kws eval`.
    @Test func windowsAreClips() throws {
        let net = try NetworkFile.load(path: Self.network)
        let spotter = KeywordSpotter(net: try FQNet(network: net), extractor: MFCCExtractor())
        var r = KWSRandom(seed: 5, 1)
        // a chirp in noise: some frames may vote either way; what matters is that both paths agree
        let x: [Float] = (0..<40_000).map { n in
            let t = Double(n) / 16000
            return Float(0.2 * sin(2 * Double.pi * (300 + 400 * t) * t) + 0.01 * r.normal())
        }
        let rule = DetectRule(hopSeconds: 0.3)
        let d = spotter.detect(x, rule: rule)
        let ranges = KeywordSpotter.windows(count: x.count, rule: rule)
        #expect(d.windows.count == ranges.count && abs(d.seconds - 2.5) < 1e-12)
        for (w, range) in zip(d.windows, ranges) {
            let c = spotter.classify(x[range])
            #expect(w.yesVotes == c.votes[1] && w.yes == c.yes && w.frames == 101)
            #expect(c.frameVotes.reduce(0, +) == c.votes[1] && c.votes[0] + c.votes[1] == 101)
            let f = MFCCExtractor().features(Array(x[range]))
            #expect(spotter.net.decide(f.flatMap { $0 }, frames: f.count).votes == c.votes)
        }
    }
}
