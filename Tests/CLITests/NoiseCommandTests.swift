// `bmru noise` end to end on the shipped tiny network: the study's files and their contract, byte-identical
// results for the same seed, --resume recomputing nothing, and the refusals (exit 2).
import Batch
import Foundation
import TestSupport
import Testing

@Suite("bmru noise (real ngspice)", .serialized)
struct NoiseCommandTests {
    static func args(_ out: String, _ extra: [String] = []) throws -> [String] {
        let root = TestEnvironment.packageRoot.path
        return ["noise", root + "/examples/tiny.json", "--input", root + "/examples/tiny.csv", "--out", out,
                "--sigma", "0.05,0.3", "--frames", "30"] + extra
    }

    @Test("the study: cells for every source and σ, a suppression with its definition, accumulation, a page; same seed, same bytes; --resume reruns nothing")
    func study() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise")
        let r = try BMRU.run(try Self.args(dir + "/a"), models: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("noise: 9/9 "), "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/noise.json"))
        let study = try NoiseStudyResult.decode(data)
        #expect(Set(study.cells.map(\.source)) == ["none", "input", "device", "together"])
        #expect(study.cells.filter { $0.source == "device" }.map(\.sigma) == [0.05, 0.3])
        // device noise of σ reaches the candidate as σ (drawn at the frame ends): its input error is about σ
        let dev = study.cells.first { $0.source == "device" && $0.sigma == 0.05 }!
        #expect(dev.input_error_rms > 0.03 && dev.input_error_rms < 0.08, "\(dev)")
        // more noise, more flips
        let devBig = study.cells.first { $0.source == "device" && $0.sigma == 0.3 }!
        #expect(devBig.flip_rate > dev.flip_rate, "\(devBig) vs \(dev)")
        #expect(!study.suppression.definition.isEmpty && study.definitions["ratio"] != nil)
        #expect(study.accumulation.frames >= 30 && study.accumulation.bmru.frame_error.count == study.accumulation.frames)
        #expect(study.accumulation.baseline.kind == "continuous_state_model")
        let html = try String(contentsOfFile: dir + "/a/noise.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Suppression at the cell boundary") && html.contains("flip rate against σ"))
        #expect(r.stdout.contains("suppression: "))
        // the same seed: the same study, byte for byte
        let again = try BMRU.run(try Self.args(dir + "/b"), models: true)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/b/noise.json")) == data)
        // --resume: every run kept, the same result
        let resumed = try BMRU.run(try Self.args(dir + "/a", ["--resume"]), models: true)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.components(separatedBy: "(kept)").count - 1 == 9, "\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/noise.json")) == data)
        // another seed: another draw (the result could have been constant)
        let other = try BMRU.run(try Self.args(dir + "/c", ["--seed", "2"]), models: true)
        #expect(other.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/c/noise.json")) != data)
    }

    @Test("refusals: an unknown source, a bad σ, a used folder without --resume (exit 2, nothing written)")
    func refusals() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-bad")
        let bad = try BMRU.run(try Self.args(dir + "/x", ["--sources", "input,thermal"]), models: true)
        #expect(bad.status == 2 && bad.stderr.contains("--sources") && bad.stderr.contains("thermal"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
        let sigma = try BMRU.run(["noise", TestEnvironment.packageRoot.path + "/examples/tiny.json", "--input",
                                  TestEnvironment.packageRoot.path + "/examples/tiny.csv", "--out", dir + "/y", "--sigma", "0.1,-1"], models: true)
        #expect(sigma.status == 2 && sigma.stderr.contains("--sigma"), "\(sigma.stderr)")
        try FileManager.default.createDirectory(atPath: dir + "/used", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/used/noise-options.txt"))
        let used = try BMRU.run(try Self.args(dir + "/used"), models: true)
        #expect(used.status == 2 && used.stderr.contains("--resume"), "\(used.stderr)")
    }
}
