// `bmru kws classify` / `kws detect` / `kws eval` on speech espeak-ng speaks in the test: a clip decided with its
// frame votes, a long recording with "yes" at a known time, silence and noise without a detection, and eval on a
// folder that holds a test split only, with false alarms per hour.
import Foundation
import KWS
import TestSupport
import Testing

@Suite("bmru kws classify and detect on espeak-ng speech")
struct KWSDetectCommandTests {
    static let network = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/kws-yes.json").path
    static let rate = 16000

    /// A word spoken by espeak-ng, resampled to 16 kHz, without its leading and trailing silence (below 2 % of
    /// the peak), peak 0.5.
    static func word(_ text: String, voice: String = "en-us", in dir: String) throws -> [Float] {
        let espeak = try #require(SpeechSynth.espeakPath(), "espeak-ng is missing: run `make setup` (apt-get install -y espeak-ng)")
        let path = "\(dir)/\(text)-\(voice).wav"
        let r = try TestEnvironment.run(espeak, ["-v", voice, "-w", path, text])
        try #require(r.status == 0, "espeak-ng: \(r.stderr)")
        let a = try WAVFile.read(path: path)
        let x = Resampler(from: a.sampleRate, to: rate).process(a.samples)
        let peak = x.map { abs($0) }.max() ?? 0
        let first = try #require(x.firstIndex { abs($0) > 0.02 * peak }), last = try #require(x.lastIndex { abs($0) > 0.02 * peak })
        return x[first...last].map { $0 * 0.5 / peak }
    }

    /// Uniform noise of amplitude `level` from a fixed linear congruential sequence.
    static func noise(_ count: Int, level: Float, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<count).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return level * (Float(s >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    /// `words` added into `seconds` of quiet noise, each starting at its time.
    static func recording(seconds: Double, _ words: [([Float], Double)]) -> [Float] {
        var x = noise(Int(seconds * Double(rate)), level: 0.005, seed: 11)
        for (w, t) in words {
            let s = Int(t * Double(rate))
            for (i, v) in w.enumerated() { x[s + i] += v }
        }
        return x
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test("classify: a spoken 'yes' is yes and 'no' is other, with one vote per frame; a 0.2 s clip is refused")
    func classify() throws {
        let dir = try TestEnvironment.temporaryDirectory("kws-classify")
        for (text, expected) in [("yes", "yes"), ("no", "other")] {
            let clip = "\(dir)/\(text).wav"
            try WAVFile.write16(samples: Self.recording(seconds: 1, [(try Self.word(text, in: dir), 0.05)]), sampleRate: Self.rate, path: clip)
            let r = try BMRU.run(["kws", "classify", clip, "--network", Self.network, "--json", "\(dir)/\(text).json"])
            #expect(r.status == 0 && r.stdout.hasPrefix("\(clip): \(expected) "), "\(r.stdout) \(r.stderr)")
            let j = try Self.json("\(dir)/\(text).json")
            #expect(j["decision"] as? String == expected)
            let result = try #require(j["result"] as? [String: Any])
            let votes = try #require(result["votes"] as? [Int]), frameVotes = try #require(result["frame_votes"] as? [Int])
            // 1 s at a 10 ms hop: 101 frames, each voting once
            #expect(result["frames"] as? Int == 101 && frameVotes.count == 101 && votes.reduce(0, +) == 101)
            #expect(frameVotes.reduce(0, +) == votes[1] && (votes[1] > votes[0]) == (expected == "yes"))
        }
        try WAVFile.write16(samples: Self.noise(3200, level: 0.1, seed: 2), sampleRate: Self.rate, path: "\(dir)/short.wav")
        let short = try BMRU.run(["kws", "classify", "\(dir)/short.wav", "--network", Self.network])
        #expect(short.status == 2 && short.stderr.contains("data.size") && short.stderr.contains("0.5 s"), "\(short.stderr)")
    }

    @Test("detect: 'yes' spoken at 5 s of a 10 s recording (between 'no' and 'left') is found there, and nowhere else")
    func detectInRecording() throws {
        let dir = try TestEnvironment.temporaryDirectory("kws-detect")
        let yes = try Self.word("yes", in: dir)
        let onset = 5.0, length = Double(yes.count) / Double(Self.rate)
        let audio = "\(dir)/long.wav"
        try WAVFile.write16(samples: Self.recording(seconds: 10, [(try Self.word("no", in: dir), 1.5), (yes, onset),
                                                                  (try Self.word("left", in: dir), 8.0)]),
                            sampleRate: Self.rate, path: audio)
        let r = try BMRU.run(["kws", "detect", audio, "--network", Self.network, "--json", "\(dir)/d.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try Self.json("\(dir)/d.json")
        let detections = try #require(j["detections"] as? [[String: Any]])
        let windows = try #require(j["windows"] as? [[String: Any]])
        // 1 s windows every 0.1 s over 10 s: starts 0, 0.1, ..., 9.0
        #expect(windows.count == 91)
        #expect((j["rule"] as? [String: Any])?["hop_s"] as? Double == 0.1)
        try #require(detections.count == 1, "\(r.stdout)")
        let start = try #require(detections[0]["start_s"] as? Double), end = try #require(detections[0]["end_s"] as? Double)
        // a positive window overlaps the word: the detection starts less than a window before the onset and ends
        // after the word, less than a window (and a hop) after it
        #expect(start >= onset - 1 && start <= onset, "start \(start)")
        #expect(end >= onset + length && end <= onset + length + 1.1, "end \(end)")
        #expect(r.stdout.contains("1 detection") && r.stdout.contains(String(format: "yes %.2f - %.2f s", start, end)), "\(r.stdout)")
    }

    @Test("detect: no detection in 5 s of digital silence or of white noise")
    func noDetectionInSilenceOrNoise() throws {
        let dir = try TestEnvironment.temporaryDirectory("kws-detect-quiet")
        for (name, x) in [("silence", [Float](repeating: 0, count: 80_000)), ("noise", Self.noise(80_000, level: 0.05, seed: 3))] {
            let audio = "\(dir)/\(name).wav"
            try WAVFile.write16(samples: x, sampleRate: Self.rate, path: audio)
            let r = try BMRU.run(["kws", "detect", audio, "--network", Self.network, "--min-windows", "1", "--json", "\(dir)/\(name).json"])
            #expect(r.status == 0 && r.stdout.contains("0 detections"), "\(name): \(r.stdout) \(r.stderr)")
            let j = try Self.json("\(dir)/\(name).json")
            #expect((j["detections"] as? [Any])?.isEmpty == true && (j["windows"] as? [Any])?.count == 41, "\(name)")
        }
    }

    @Test("eval: a folder with a test split only is evaluated, with false alarms per hour; --detect-on counts long recordings")
    func evalTestOnlyFolder() throws {
        let root = try TestEnvironment.temporaryDirectory("kws-test-only")
        var listed: [String] = []
        for w in KWSWord.spoken {
            try FileManager.default.createDirectory(atPath: "\(root)/\(w.rawValue)", withIntermediateDirectories: true)
            for (k, voice) in ["en-us", "en-gb"].enumerated() {
                let name = "\(w.rawValue)/v\(k)_nohash_0.wav"
                try WAVFile.write16(samples: Self.recording(seconds: 1, [(try Self.word(w.rawValue, voice: voice, in: root), 0.05)]),
                                    sampleRate: Self.rate, path: "\(root)/\(name)")
                listed.append(name)
            }
        }
        try FileManager.default.createDirectory(atPath: "\(root)/_background_noise_", withIntermediateDirectories: true)
        try WAVFile.write16(samples: Self.noise(Self.rate, level: 0.05, seed: 4), sampleRate: Self.rate, path: "\(root)/_background_noise_/white.wav")
        try (listed.joined(separator: "\n") + "\n").write(toFile: "\(root)/testing_list.txt", atomically: true, encoding: .utf8)
        try "".write(toFile: "\(root)/validation_list.txt", atomically: true, encoding: .utf8)
        let long = try TestEnvironment.temporaryDirectory("kws-long")
        try WAVFile.write16(samples: Self.noise(20 * Self.rate, level: 0.02, seed: 5), sampleRate: Self.rate, path: "\(long)/quiet.wav")

        let r = try BMRU.run(["kws", "eval", Self.network, "--data", root, "--detect-on", long])
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        // balanced: the two 'yes' clips and two others
        #expect(r.stdout.contains("test (balanced): accuracy ") && r.stdout.contains("/4)"), "\(r.stdout)")
        // ten spoken non-'yes' clips of 1 s, one second of background noise (its one segment, 0, is test), 20 s of --detect-on
        #expect(r.stdout.contains("test non-'yes' words (10 clips end to end): ") && r.stdout.contains(" in 10 s = "), "\(r.stdout)")
        #expect(r.stdout.contains("test background noise (1 s end to end): ") && r.stdout.contains(" in 1 s = "), "\(r.stdout)")
        #expect(r.stdout.contains("--detect-on \(long) (1 recording): 0 detections in 20 s = 0.0 per hour"), "\(r.stdout)")
        // the circuit-aware model of the deck on the same clips, and its parameter-noise rows beside the others
        let ca = try BMRU.run(["kws", "eval", Self.network, "--data", root, "--circuit-aware", "--parameter-noise", "10", "--trials", "2",
                               "--json", root + "/pn.json"], models: true)
        #expect(ca.status == 0, "\(ca.stderr.suffix(500))")
        #expect(ca.stdout.contains("circuit-aware model (typical, 27 °C): accuracy "), "\(ca.stdout)")
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/pn.json"))) as! [[String: Any]]
        #expect(Set(rows.map { $0["dynamics"] as! String }) == ["bistable", "continuous", "circuit_aware"])
        #expect(rows.filter { ($0["percent"] as! Double) == 10 }.allSatisfy { ($0["accuracies"] as! [Double]).count == 2 })
        let badSeed = try BMRU.run(["kws", "eval", Self.network, "--data", root, "--circuit-aware", "--mismatch-seed", "0"], models: true)
        #expect(badSeed.status == 2 && badSeed.stderr.contains("--mismatch-seed"), "\(badSeed.stderr)")
        let all = try BMRU.run(["kws", "eval", Self.network, "--data", root, "--all"])
        #expect(all.status == 0 && all.stdout.contains("/13)"), "\(all.stdout) \(all.stderr.suffix(300))")
        // the training split of this folder is empty: refused, exit 2
        let train = try BMRU.run(["kws", "eval", Self.network, "--data", root, "--split", "train"])
        #expect(train.status == 2 && train.stderr.contains("the train split is empty"), "\(train.stderr)")

        // without 'yes' clips in the split the balanced set is undefined: refused; --all still evaluates
        try (listed.filter { !$0.hasPrefix("yes/") }.joined(separator: "\n") + "\n").write(toFile: "\(root)/testing_list.txt", atomically: true, encoding: .utf8)
        for w in ["v0", "v1"] { try FileManager.default.removeItem(atPath: "\(root)/yes/\(w)_nohash_0.wav") }
        let noYes = try BMRU.run(["kws", "eval", Self.network, "--data", root])
        #expect(noYes.status == 2 && noYes.stderr.contains("no 'yes' clips") && noYes.stderr.contains("--all"), "\(noYes.stderr)")
        #expect(try BMRU.run(["kws", "eval", Self.network, "--data", root, "--all"]).status == 0)
    }
}
