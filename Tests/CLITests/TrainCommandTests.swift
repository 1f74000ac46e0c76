// `bmru train`: Ctrl-C, --resume with other options, --resume with the same options.
import Foundation
import TestSupport
import Testing
import KWS

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
                      "--eval-every", "10", "--checkpoint-every", "5"]
        let bmru = try TestEnvironment.bmruExecutable()

        // 1. interrupted once a checkpoint exists: exit 130, the checkpoint stays, no network yet. The test waits
        //    for an event, not for time: the progress line of step 10 is written after the checkpoint of step 5
        //    (checkpoints are renamed into place whole), and the interrupt then finds ~1190 steps still to run.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bmru)
        p.arguments = common + ["-o", out]
        p.standardOutput = FileHandle.nullDevice
        let errPipe = Pipe()
        p.standardError = errPipe
        try p.run()
        let stderr = errPipe.fileHandleForReading
        var log = Data()
        let tenth = Data("step 10/1200 ".utf8)
        while log.range(of: tenth) == nil {
            let chunk = stderr.availableData
            if chunk.isEmpty { break }  // end of file: the process has ended
            log += chunk
        }
        let seen = log.range(of: tenth) != nil
        if seen {
            #expect(FileManager.default.fileExists(atPath: ckpt), "no checkpoint after step 10")
            p.interrupt()
        }
        log += stderr.readDataToEndOfFile()
        p.waitUntilExit()
        let said = String(decoding: log, as: UTF8.self)
        try #require(seen, "training ended before step 10 (exit \(p.terminationStatus)): \(said.suffix(400))")
        #expect(p.terminationStatus == 130)
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(said.contains("--resume"), "\(said.suffix(400))")
        // the step the message names is the step the checkpoint holds, and it is past the progress line seen
        let stopped = try #require(said.firstMatch(of: #/training stopped at step (\d+) of 1200/#).flatMap { Int($0.1) },
                                   "\(said.suffix(400))")
        #expect(stopped >= 10)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ckpt))) as? [String: Any]
        #expect(saved?["step"] as? Int == stopped, "checkpoint step \(String(describing: saved?["step"])), message step \(stopped)")

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
