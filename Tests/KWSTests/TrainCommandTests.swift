import Foundation
import TestSupport
import Testing
@testable import KWS

/// `bmru train` as a user runs it: Ctrl-C saves the checkpoint and exits 130, `--resume` with other options is
/// refused (exit 2) without writing a network, `--resume` with the same options finishes with the very network an
/// uninterrupted run writes.
@Suite struct TrainCommandTests {
    /// A tiny Speech Commands tree of tones: "yes" clips are a rising chirp, the other words steady tones.
    static func dataset() throws -> String {
        let root = try TestEnvironment.temporaryDirectory("kws-cli")
        let rate = 16000
        func clip(_ k: Int, yes: Bool) -> [Float] {
            let f0 = 200.0 + 37.0 * Double(k)
            return (0..<rate).map { n in
                let t = Double(n) / Double(rate)
                let f = yes ? f0 + 900 * t : f0
                return Float(0.3 * sin(2 * Double.pi * f * t))
            }
        }
        var test: [String] = [], validation: [String] = []
        for (wi, w) in KWSWord.spoken.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/\(w.rawValue)", withIntermediateDirectories: true)
            for k in 0..<6 {
                let name = "\(w.rawValue)/v\(k)_nohash_0.wav"
                try WAVFile.write16(samples: clip(wi + k, yes: w == .yes), sampleRate: rate, path: "\(root)/\(name)")
                if k == 4 { validation.append(name) } else if k == 5 { test.append(name) }
            }
        }
        try FileManager.default.createDirectory(atPath: "\(root)/_background_noise_", withIntermediateDirectories: true)
        var g = SystemRandomNumberGenerator()
        let noise = (0..<(6 * rate)).map { _ in Float.random(in: -0.05...0.05, using: &g) }
        try WAVFile.write16(samples: noise, sampleRate: rate, path: "\(root)/_background_noise_/white.wav")
        try (validation.joined(separator: "\n") + "\n").write(toFile: "\(root)/validation_list.txt", atomically: true, encoding: .utf8)
        try (test.joined(separator: "\n") + "\n").write(toFile: "\(root)/testing_list.txt", atomically: true, encoding: .utf8)
        return root
    }

    @Test func interruptRefuseResume() throws {
        let data = try Self.dataset()
        let out = data + "/net.json", ckpt = out + ".ckpt"
        let common = ["train", "--task", "kws", "--data", data, "--state", "2", "--steps", "1200", "--batch", "8",
                      "--eval-every", "1000", "--checkpoint-every", "5"]
        let bmru = try TestEnvironment.bmruExecutable()

        // 1. interrupted once a checkpoint exists: exit 130, the checkpoint stays, no network yet
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bmru)
        p.arguments = common + ["-o", out]
        p.standardOutput = FileHandle.nullDevice
        let log = data + "/interrupted.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: ckpt) && p.isRunning && Date() < deadline { usleep(20_000) }
        #expect(p.isRunning, "training ended before its first checkpoint")
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(FileManager.default.fileExists(atPath: ckpt))
        #expect(!FileManager.default.fileExists(atPath: out))
        let said = try String(contentsOfFile: log, encoding: .utf8)
        #expect(said.contains("training stopped at step") && said.contains("--resume"), "\(said.suffix(400))")

        // 2. resuming with another learning rate is refused, naming the option; nothing is written
        let refused = try TestEnvironment.run(bmru, common + ["--learning-rate", "0.02", "-o", out, "--resume"])
        #expect(refused.status == 2)
        #expect(refused.stderr.lowercased().contains("learning"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // 3. resuming with the same options finishes; the checkpoint is gone; the network equals an uninterrupted run's
        let resumed = try TestEnvironment.run(bmru, common + ["-o", out, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr.suffix(600))")
        #expect(resumed.stderr.contains("resuming from \(ckpt)"), "\(resumed.stderr.prefix(400))")
        #expect(!FileManager.default.fileExists(atPath: ckpt))
        let straight = try TestEnvironment.run(bmru, common + ["-o", data + "/straight.json"])
        #expect(straight.status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: out)), b = try Data(contentsOf: URL(fileURLWithPath: data + "/straight.json"))
        #expect(!a.isEmpty && a == b)
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
