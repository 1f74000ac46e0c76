import Foundation
import Testing
@testable import KWS

@Suite struct DataTests {
    func tempDir(_ name: String) throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("kws-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
    func tone(_ f: Double, seconds: Double = 1, rate: Int = 16000) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(0.3 * sin(2 * Double.pi * f * Double($0) / Double(rate))) }
    }
    /// 16-bit stereo WAV bytes written here by hand (independent of WAVFile.encode16)
    func stereoWAV() -> Data {
        var d = Data("RIFF".utf8)
        let frames = 1600
        func u32(_ v: Int) -> [UInt8] { [UInt8(v & 255), UInt8(v >> 8 & 255), UInt8(v >> 16 & 255), UInt8(v >> 24 & 255)] }
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 255), UInt8(v >> 8 & 255)] }
        d += u32(36 + frames * 4); d += Data("WAVEfmt ".utf8); d += u32(16) + u16(1) + u16(2) + u32(16000) + u32(64000) + u16(4) + u16(16)
        d += Data("data".utf8); d += u32(frames * 4); d += Data(count: frames * 4)
        return d
    }

    @Test func wavRoundTripAndBadFiles() throws {
        let x: [Float] = [0, 0.5, -0.5, 1, -1, 0.25]
        let a = try WAVFile.decode(WAVFile.encode16(samples: x, sampleRate: 16000), file: "t.wav")
        #expect(a.sampleRate == 16000 && a.channels == 1 && a.samples.count == 6)
        for (u, v) in zip(a.samples, x) { #expect(abs(u - v) < 1.0 / 32767 + 1e-6) }
        #expect(try WAVFile.decode(stereoWAV(), file: "s.wav").channels == 2)
        for (bytes, words) in [(Data(), "empty"), (Data("RIFF".utf8), "truncated"), (Data(repeating: 7, count: 64), "not a RIFF"),
                               (stereoWAV().prefix(30), "truncated fmt")] as [(Data, String)] {
            #expect { try WAVFile.decode(bytes, file: "bad.wav") } throws: { e in
                guard let e = e as? KWSError else { return false }
                return e.kind == .badAudio && e.file == "bad.wav" && e.reason.contains(words)
            }
        }
    }

    /// A tiny Speech Commands tree with bad files: every bad file is skipped with a reason, the rest loads
    /// into the splits named by the lists, and silence comes from 1 s background-noise segments.
    @Test func loaderOnTinyTree() throws {
        let root = try tempDir("tree")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for w in KWSWord.spoken {
            try fm.createDirectory(atPath: "\(root)/\(w.rawValue)", withIntermediateDirectories: true)
            try WAVFile.write16(samples: tone(300), sampleRate: 16000, path: "\(root)/\(w.rawValue)/a_nohash_0.wav")
        }
        try WAVFile.write16(samples: tone(500, seconds: 0.7), sampleRate: 16000, path: "\(root)/yes/b_nohash_0.wav") // short: padded
        try WAVFile.write16(samples: tone(700), sampleRate: 16000, path: "\(root)/yes/c_nohash_0.wav")
        try WAVFile.write16(samples: tone(300, rate: 8000), sampleRate: 8000, path: "\(root)/yes/bad_rate.wav")
        try stereoWAV().write(to: URL(fileURLWithPath: "\(root)/no/bad_stereo.wav"))
        try Data("RIFF\u{1}\u{0}".utf8).write(to: URL(fileURLWithPath: "\(root)/up/bad_header.wav"))
        try Data().write(to: URL(fileURLWithPath: "\(root)/down/bad_empty.wav"))
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: "\(root)/left/notes.txt"))  // ignored: not .wav
        try fm.createDirectory(atPath: "\(root)/_background_noise_", withIntermediateDirectories: true)
        try WAVFile.write16(samples: tone(100, seconds: 3.5), sampleRate: 16000, path: "\(root)/_background_noise_/hum.wav")
        try "yes/b_nohash_0.wav\n".write(toFile: "\(root)/validation_list.txt", atomically: true, encoding: .utf8)
        try "yes/c_nohash_0.wav\nno/a_nohash_0.wav\n".write(toFile: "\(root)/testing_list.txt", atomically: true, encoding: .utf8)

        let ds = try SpeechCommands.load(root: root)
        #expect(ds.skipped.count == 4)
        let reasons = ds.skipped.map(\.description).joined(separator: "\n")
        #expect(reasons.contains("bad_rate.wav: sample rate 8000 Hz"))
        #expect(reasons.contains("bad_stereo.wav: 2 channels"))
        #expect(reasons.contains("bad_header.wav: truncated"))
        #expect(reasons.contains("bad_empty.wav: empty"))
        #expect(ds.clips.count == 6 + 2 + 3)  // six words, two more yes, three 1 s noise segments
        #expect(ds.clips.allSatisfy { $0.frames == 101 && $0.coefficients == 13 && $0.features.count == 101 * 13 })
        #expect(Set(ds.clips(.test).map(\.id)) == ["yes/c_nohash_0.wav", "no/a_nohash_0.wav", "_background_noise_/hum.wav#0"])
        #expect(Set(ds.clips(.validation).map(\.id)) == ["yes/b_nohash_0.wav", "_background_noise_/hum.wav#1"])
        // balanced test set: one yes, one negative
        #expect(ds.balanced(.test).count == 2)
        // missing layout pieces are dataset errors naming the file
        try fm.removeItem(atPath: "\(root)/testing_list.txt")
        #expect { try SpeechCommands.load(root: root) } throws: { e in
            (e as? KWSError)?.kind == .badDataset && ((e as? KWSError)?.file.hasSuffix("testing_list.txt") ?? false)
        }
    }

    /// espeak-ng synthesis of a tiny set: Speech Commands layout, 16 kHz mono 1 s clips, voices split
    /// disjointly, and the same bytes for the same seed.
    @Test func synthTinyDataset() throws {
        try #require(SpeechSynth.espeakPath() != nil, "espeak-ng is missing: run `make setup` (apt-get install -y espeak-ng)")
        let a = try tempDir("synthA"), b = try tempDir("synthB")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        var o = SynthOptions(); o.perWord = 4; o.seed = 9
        let ra = try SpeechSynth.synthesize(options: o, outDir: a)
        _ = try SpeechSynth.synthesize(options: o, outDir: b)
        #expect(ra.failed.isEmpty && ra.clipsWritten == 24)
        let train = Set(ra.voices[.train] ?? []), test = Set(ra.voices[.test] ?? []), val = Set(ra.voices[.validation] ?? [])
        #expect(!test.isEmpty && train.isDisjoint(with: test) && train.isDisjoint(with: val) && test.isDisjoint(with: val))
        let fm = FileManager.default
        var files = 0
        for w in KWSWord.spoken {
            for name in try fm.contentsOfDirectory(atPath: "\(a)/\(w.rawValue)").sorted() {
                let audio = try WAVFile.read(path: "\(a)/\(w.rawValue)/\(name)")
                #expect(audio.sampleRate == 16000 && audio.channels == 1 && audio.samples.count == 16000)
                #expect((audio.samples.map { abs($0) }.max() ?? 0) > 0.05, "\(name) is silent")
                #expect(fm.contents(atPath: "\(a)/\(w.rawValue)/\(name)") == fm.contents(atPath: "\(b)/\(w.rawValue)/\(name)"))
                files += 1
            }
        }
        #expect(files == 24)
        // every listed test file belongs to a test voice
        let testList = try String(contentsOfFile: "\(a)/testing_list.txt", encoding: .utf8).split(separator: "\n")
        let testIDs = Set(test.map(SpeechSynth.voiceID))
        #expect(testList.allSatisfy { line in testIDs.contains(String(line.split(separator: "/")[1].prefix(8))) })
        let ds = try SpeechCommands.load(root: a)
        #expect(ds.skipped.isEmpty && ds.clips.filter { $0.word == .silence }.count == 4)
    }
}
