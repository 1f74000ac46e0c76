// `bmru kws features` / `kws eval`: hostile WAV files are refused with the field; --feature-offset shifts every
// value and the trained network records it.
import Foundation
import TestSupport
import Testing

@Suite("bmru kws features: hostile WAV files")
struct KWSFeaturesCommandTests {
    @Test("kws features: a 1 Hz WAV and a 10-sample WAV are refused with the field; nothing written")
    func wav() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-wav")
        func u16(_ v: Int) -> Data { withUnsafeBytes(of: UInt16(v).littleEndian) { Data($0) } }
        func u32(_ v: Int) -> Data { withUnsafeBytes(of: UInt32(v).littleEndian) { Data($0) } }
        func wav(rate: Int, samples: Int) -> Data {
            var d = Data("RIFF".utf8) + u32(36 + 2 * samples) + Data("WAVEfmt ".utf8) + u32(16) + u16(1) + u16(1)
            d += u32(rate) + u32(2 * rate) + u16(2) + u16(16) + Data("data".utf8) + u32(2 * samples) + Data(count: 2 * samples)
            return d
        }
        for (data, field) in [(wav(rate: 1, samples: 100), "fmt.sample_rate"), (wav(rate: 16000, samples: 10), "data.size")] {
            let clip = dir + "/c.wav"
            try data.write(to: URL(fileURLWithPath: clip))
            // refused at the header field named (before any resampling or feature work)
            let r = try BMRU.run(["kws", "features", clip, "-o", dir + "/f.csv"])
            #expect(r.status == 2 && r.stderr.contains(clip) && r.stderr.contains(field), "\(field): \(r.stderr)")
            #expect(BMRU.files(dir) == ["c.wav"])
        }
    }
}

/// `--feature-offset`: `kws features` shifts every value by exactly the offset (z-scores unchanged), a
/// negative offset is refused with exit 2 and no file, and the trained network records the offset it saw.
@Suite struct FeatureOffsetCommandTests {
    @Test func offsetShiftsEveryValue() throws {
        let data = try TrainCommandTests.dataset()
        let bmru = try TestEnvironment.bmruExecutable()
        let wav = data + "/yes/v0_nohash_0.wav"
        func values(_ path: String) throws -> [Double] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
                .flatMap { $0.split(separator: ",").map { Double($0)! } }
        }
        #expect(try TestEnvironment.run(bmru, ["kws", "features", wav, "-o", data + "/z0.csv", "--feature-offset", "0"]).status == 0)
        #expect(try TestEnvironment.run(bmru, ["kws", "features", wav, "-o", data + "/z2.csv"]).status == 0)
        let z0 = try values(data + "/z0.csv"), z2 = try values(data + "/z2.csv")
        #expect(z0.count == 101 * 13 && z2.count == z0.count)
        #expect(zip(z0, z2).allSatisfy { abs($1 - $0 - 2) < 1e-12 }, "the default offset is 2")
        // z-scores: per coefficient, mean 0 and population standard deviation 1 over the 101 frames
        for j in 0..<13 {
            let col = (0..<101).map { z0[$0 * 13 + j] }
            let mean = col.reduce(0, +) / 101
            let sd = (col.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 101).squareRoot()
            #expect(abs(mean) < 1e-9 && abs(sd - 1) < 1e-9, "coefficient \(j): mean \(mean), sd \(sd)")
        }
        let bad = try TestEnvironment.run(bmru, ["kws", "features", wav, "-o", data + "/bad.csv", "--feature-offset=-1"])
        #expect(bad.status == 2 && bad.stderr.contains("--feature-offset"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data + "/bad.csv"))

        let trained = try TestEnvironment.run(bmru, ["train", "--task", "kws", "--data", data, "--state", "2", "--steps", "20",
                                                     "--batch", "8", "--eval-every", "20", "--feature-offset", "1.5", "-o", data + "/n.json"])
        #expect(trained.status == 0, "\(trained.stderr.suffix(400))")
        let meta = try String(contentsOfFile: data + "/n.json", encoding: .utf8)
        #expect(meta.contains("\\\"feature_offset\\\":1.5") || meta.contains("\"feature_offset\":1.5"), "\(meta.prefix(300))")
        // evaluating it with the default offset warns and names the right one
        let ev = try TestEnvironment.run(bmru, ["kws", "eval", data + "/n.json", "--data", data])
        #expect(ev.status == 0 && ev.stderr.contains("trained with feature offset 1.5"), "\(ev.stderr.suffix(300))")
    }
}
