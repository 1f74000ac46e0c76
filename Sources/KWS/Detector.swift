// Deciding single clips and sliding over long recordings with a keyword spotter (`bmru kws classify` and
// `bmru kws detect`), and the false alarms per hour the detection rule gives on audio without the keyword.
//
// A clip is decided as `kws eval` decides a dataset clip: MFCCs of the whole clip (z-normalised over its
// frames, plus the feature offset), the exact network (ε = 0) from its initial state, per frame the larger of
// out.0 (other) and out.1 (yes), majority vote over the frames (a tie is "other"). One exception: a clip whose
// RMS is below 1e-4 of full scale (−80 dBFS: digital silence, 16-bit rounding noise) is "other" without running
// the network. Its z-normalised MFCCs are all 0, so every input is the offset alone, an input the network never
// saw in training, and the shipped spotter answers it "yes" on every frame.
//
// Detection rule: windows of 1 s every `hop` seconds (0.1 s by default) from the start of the recording, and
// one more ending at the end of the recording when the hops do not reach it; each window is decided as a clip
// on its own (its own z-normalisation, the network started afresh). A detection is a run of consecutive
// positive windows of at least `minWindows` windows, and runs that overlap or touch in time (a few negative windows
// apart: the windows are longer than the hop) are one detection, reported from the start of its first window to
// the end of its last. A recording shorter than a window is one window.
import BMRUModel
import Foundation

/// The sliding-window rule of `detect`.
public struct DetectRule: Sendable, Codable, Equatable {
    /// window length, s (the clips the network is trained on are 1 s)
    public var windowSeconds = 1.0
    /// distance between the starts of consecutive windows, s
    public var hopSeconds = 0.1
    /// fewest consecutive positive windows that make a detection
    public var minWindows = 3
    public init(hopSeconds: Double = 0.1, minWindows: Int = 3) {
        self.hopSeconds = hopSeconds; self.minWindows = minWindows
    }

    enum CodingKeys: String, CodingKey {
        case windowSeconds = "window_s", hopSeconds = "hop_s", minWindows = "min_windows"
    }

    /// The rule in words (help text, reports).
    public var text: String {
        "windows of \(NumberText.short(windowSeconds)) s every \(NumberText.short(hopSeconds)) s (and one ending at the end of the recording), "
            + "each decided by the network's majority vote over its frames (a window below -80 dBFS RMS is silence: not 'yes'); a detection is a run of at least \(minWindows) "
            + "consecutive 'yes' window\(minWindows == 1 ? "" : "s") (runs overlapping in time are one), from the start of its first window to the end of its last"
    }
}

/// The decision on one clip (or window).
public struct ClipDecision: Sendable, Codable, Equatable {
    public var yes: Bool
    /// frames voting for out.0 (other) and out.1 (yes)
    public var votes: [Int]
    public var frames: Int
    /// per frame, 1 when out.1 > out.0 (empty when `silent`)
    public var frameVotes: [Int]
    /// below `KeywordSpotter.silenceRMS`: decided "other" without running the network (votes 0, 0)
    public var silent = false

    enum CodingKeys: String, CodingKey { case yes, votes, frames, frameVotes = "frame_votes", silent }
}

/// One window of a detection run.
public struct WindowDecision: Sendable, Codable, Equatable {
    public var startSeconds: Double
    public var endSeconds: Double
    /// frames voting "yes"
    public var yesVotes: Int
    public var frames: Int
    public var yes: Bool
    public var silent = false

    enum CodingKeys: String, CodingKey {
        case startSeconds = "start_s", endSeconds = "end_s", yesVotes = "yes_votes", frames, yes, silent
    }
}

/// A detected keyword: a run of positive windows.
public struct Detection: Sendable, Codable, Equatable {
    public var startSeconds: Double
    public var endSeconds: Double
    /// the most frames voting "yes" in one window of the run, and the frames of that window
    public var votes: Int
    public var frames: Int
    /// positive windows in the run
    public var windows: Int

    enum CodingKeys: String, CodingKey {
        case startSeconds = "start_s", endSeconds = "end_s", votes, frames, windows
    }
}

public struct DetectionResult: Sendable, Codable, Equatable {
    public var seconds: Double
    public var windows: [WindowDecision]
    public var detections: [Detection]
}

/// A keyword spotter ready to decide audio at 16 kHz.
public struct KeywordSpotter: Sendable {
    public let net: FQNet
    public let extractor: MFCCExtractor
    public static let sampleRate = SpeechCommands.sampleRate
    /// Shortest clip decided, s: half a training clip (the per-clip z-normalisation of fewer frames is far
    /// from what the network was trained on).
    public static let minimumSeconds = 0.5
    public static var minimumSamples: Int { Int(minimumSeconds * Double(sampleRate)) }
    /// RMS (full scale 1) below which a clip is silence, decided "other" without the network: −80 dBFS
    public static let silenceRMS = 1e-4

    public init(net: FQNet, extractor: MFCCExtractor) {
        self.net = net; self.extractor = extractor
    }

    /// Decides one clip of 16 kHz samples (at least `minimumSamples`).
    public func classify(_ x: ArraySlice<Float>) -> ClipDecision {
        classify(x, tape: nil)
    }

    func classify(_ x: ArraySlice<Float>, tape: FQTape?) -> ClipDecision {
        let power = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))
        if power.squareRoot() < Self.silenceRMS {
            return ClipDecision(yes: false, votes: [0, 0], frames: extractor.frameCount(samples: x.count), frameVotes: [], silent: true)
        }
        let f = extractor.features(Array(x))
        let frames = f.count
        let t = tape?.frames == frames ? tape! : FQTape(net: net, frames: frames)
        let d = net.decide(f.flatMap { $0 }, tape: t)
        let frameVotes = d.logits.map { $0[1] > $0[0] ? 1 : 0 }
        return ClipDecision(yes: d.decision == 1, votes: d.votes, frames: frames, frameVotes: frameVotes)
    }

    /// Sample ranges of the windows of a recording of `count` samples.
    public static func windows(count: Int, rule: DetectRule) -> [Range<Int>] {
        let w = Int((rule.windowSeconds * Double(sampleRate)).rounded())
        let hop = max(1, Int((rule.hopSeconds * Double(sampleRate)).rounded()))
        if count <= w { return [0..<count] }
        var out: [Range<Int>] = []
        var s = 0
        while s + w <= count { out.append(s..<(s + w)); s += hop }
        if let last = out.last, last.upperBound < count { out.append((count - w)..<count) }
        return out
    }

    /// Slides the rule's windows over 16 kHz samples (in parallel) and merges the positive ones.
    public func detect(_ x: [Float], rule: DetectRule) -> DetectionResult {
        let ranges = Self.windows(count: x.count, rule: rule)
        let buffer = UnsafeMutableBufferPointer<ClipDecision?>.allocate(capacity: ranges.count)
        buffer.initialize(repeating: nil)
        defer { buffer.deallocate() }
        let slots = ParallelSlots(buffer)
        let chunks = max(1, min(ranges.count, 8))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var tape: FQTape? = nil
            var i = c
            while i < ranges.count {
                let d = classify(x[ranges[i]], tape: tape)
                if !d.silent && tape?.frames != d.frames { tape = FQTape(net: net, frames: d.frames) }
                slots[i] = d
                i += chunks
            }
        }
        let rate = Double(Self.sampleRate)
        let windows = ranges.indices.map { i -> WindowDecision in
            let d = buffer[i]!
            return WindowDecision(startSeconds: Double(ranges[i].lowerBound) / rate, endSeconds: Double(ranges[i].upperBound) / rate,
                                  yesVotes: d.votes[1], frames: d.frames, yes: d.yes, silent: d.silent)
        }
        return DetectionResult(seconds: Double(x.count) / rate, windows: windows, detections: Self.merge(windows, rule: rule))
    }

    /// Runs of consecutive positive windows, at least `rule.minWindows` long; runs that overlap or touch in time
    /// are one detection.
    public static func merge(_ windows: [WindowDecision], rule: DetectRule) -> [Detection] {
        var out: [Detection] = []
        var i = 0
        while i < windows.count {
            guard windows[i].yes else { i += 1; continue }
            var j = i
            while j + 1 < windows.count && windows[j + 1].yes { j += 1 }
            if j - i + 1 >= rule.minWindows {
                let best = windows[i...j].max { $0.yesVotes < $1.yesVotes }!
                let d = Detection(startSeconds: windows[i].startSeconds, endSeconds: windows[j].endSeconds,
                                  votes: best.yesVotes, frames: best.frames, windows: j - i + 1)
                // runs a few negative windows apart still overlap in time (windows are longer than the hop): one detection
                if let last = out.last, d.startSeconds <= last.endSeconds {
                    out[out.count - 1].endSeconds = d.endSeconds
                    out[out.count - 1].windows += d.windows
                    if d.votes > last.votes { out[out.count - 1].votes = d.votes; out[out.count - 1].frames = d.frames }
                } else {
                    out.append(d)
                }
            }
            i = j + 1
        }
        return out
    }
}

/// Detections of the rule on audio without the keyword.
public struct FalseAlarms: Sendable, Codable, Equatable {
    public var source: String
    public var recordings: Int
    public var seconds: Double
    public var detections: Int
    public var perHour: Double { seconds > 0 ? Double(detections) * 3600 / seconds : 0 }
}

extension KeywordSpotter {
    /// False alarms of the rule on recordings, each slid over on its own.
    public func falseAlarms(_ recordings: [[Float]], source: String, rule: DetectRule) -> FalseAlarms {
        var f = FalseAlarms(source: source, recordings: recordings.count, seconds: 0, detections: 0)
        for r in recordings where !r.isEmpty {
            let d = detect(r, rule: rule)
            f.seconds += d.seconds
            f.detections += d.detections.count
        }
        return f
    }
}

extension SpeechCommands {
    /// Reads a mono WAV at any accepted rate and resamples it to 16 kHz; returns the samples and the file's own
    /// rate and length in samples (for messages).
    public static func readAudio16k(path: String) throws -> (samples: [Float], fileRate: Int, fileFrames: Int) {
        let a = try WAVFile.read(path: path)
        guard a.channels == 1 else { throw KWSError(.badAudio, file: path, reason: "\(a.channels) channels, expected mono") }
        let x = a.sampleRate == sampleRate ? a.samples : Resampler(from: a.sampleRate, to: sampleRate).process(a.samples)
        return (x, a.sampleRate, a.frameCount)
    }

    /// The 1 s samples of a clip of a loaded dataset (`FeatureClip.id`: a path relative to the root, or
    /// "_background_noise_/<file>#<segment>"), as the loader cut them.
    public static func clipAudio(root: String, id: String) throws -> [Float] {
        if let hash = id.lastIndex(of: "#"), let seg = Int(id[id.index(after: hash)...]) {
            let a = try readTaskAudio(path: (root as NSString).appendingPathComponent(String(id[..<hash])))
            guard (seg + 1) * clipSamples <= a.count else {
                throw KWSError(.badAudio, file: String(id[..<hash]), reason: "no segment \(seg)")
            }
            return Array(a[(seg * clipSamples)..<((seg + 1) * clipSamples)])
        }
        return fit(try readTaskAudio(path: (root as NSString).appendingPathComponent(id)))
    }
}
