import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import Characterization
import Netlist
import TestSupport
import Testing

/// Input-referred noise in batch manifests and in the circuit-aware model. The draws themselves are checked
/// against their written definition in BMRUModelTests/InputNoiseTests; `bmru cosim --input-noise` and noise
/// batches end to end are in CLITests (CosimCommandTests, BatchCommandTests).
@Suite("Noise in batch manifests")
struct NoiseManifestTests {
    /// The job key as defined before the noise dimension existed: manifests without `noise` must keep these ids.
    struct KeyBeforeNoise: Codable {
        var network_sha256: String
        var stimulus_kind: String
        var stimulus_sha256: String?
        var stimulus_frames: Int?
        var stimulus_seed: Int64?
        var stimulus_density: Double?
        var corner: String
        var vdd: Double
        var temperature_c: Double
        var mismatch_seed: UInt64?
        var thresholds: BatchThresholds
        var calibration_sha256: String?
        var models_sha256: String?
        var cell_library_sha256: String?
    }

    static func idBeforeNoise(_ j: BatchJob) throws -> String {
        let key = KeyBeforeNoise(network_sha256: j.network_sha256, stimulus_kind: j.stimulus.kind, stimulus_sha256: j.stimulus.sha256,
                                 stimulus_frames: j.stimulus.frames, stimulus_seed: j.stimulus.seed, stimulus_density: j.stimulus.density,
                                 corner: j.corner, vdd: j.vdd, temperature_c: j.temperature_c, mismatch_seed: j.mismatch_seed,
                                 thresholds: j.thresholds, calibration_sha256: j.calibration?.sha256, models_sha256: j.models_sha256,
                                 cell_library_sha256: j.cell_library_sha256)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(SHA256.hex(try enc.encode(key)).prefix(16))
    }

    @Test("noise is the innermost job dimension: σ > 0 × samples draws, σ = 0 one clean job; ids without noise unchanged")
    func expansion() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-manifest")
        let plain = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir, name: "plain.json"))
        let plainJobs = try plain.jobs(modelsDirectory: "/models")
        #expect(plainJobs.count == 24)
        // without the key: the id definition of before the noise dimension, and no noise in the job
        for j in plainJobs {
            #expect(j.id == (try Self.idBeforeNoise(j)))
            #expect(j.noise_sigma == nil && j.noise_seed == nil && j.inputNoise == nil)
        }
        // a job encoded without noise has no noise keys, and a result file of before decodes
        let json = try JSONEncoder().encode(plainJobs[0])
        #expect(!String(decoding: json, as: UTF8.self).contains("noise_"))
        #expect(try JSONDecoder().decode(BatchJob.self, from: json) == plainJobs[0])

        let noisy = try BatchManifest.load(path: try BatchFixtures.write(
            BatchFixtures.manifest(extra: ", \"noise\": {\"sigma\": [0, 0.05, 0.2], \"samples\": 3, \"seed\": 10}"), in: dir, name: "noisy.json"))
        let jobs = try noisy.jobs(modelsDirectory: "/models")
        // 24 conditions × (1 clean + 2 levels × 3 draws)
        #expect(noisy.jobCount == 24 * 7 && jobs.count == 24 * 7)
        #expect(Set(jobs.map(\.id)).count == jobs.count)
        let first = jobs.prefix(7).map { j in j.noise_sigma.map { "\($0)/\(j.noise_seed!)" } ?? "clean" }
        #expect(first == ["clean", "0.05/10", "0.05/11", "0.05/12", "0.2/10", "0.2/11", "0.2/12"])
        // every condition's clean job is the manifest-without-noise job, id and all
        let clean = jobs.filter { $0.noise_sigma == nil }
        #expect(clean.map(\.id) == plainJobs.map(\.id))
        // the seven jobs of a condition share everything else
        #expect(jobs.prefix(7).allSatisfy { $0.mismatch_seed == nil && $0.corner == "typical" && $0.stimulus == jobs[0].stimulus })
        // a noisy job round-trips through JSON with its noise
        let j = jobs[5]
        #expect(try JSONDecoder().decode(BatchJob.self, from: JSONEncoder().encode(j)) == j)
        #expect(j.inputNoise == InputNoise(sigma: 0.2, seed: 11))

        // the YAML form of the shipped example expands to the jobs of its JSON equivalent
        let yaml = try BatchManifest.load(path: TestEnvironment.packageRoot.appendingPathComponent("examples/noise-batch.yaml").path)
        let n = try #require(yaml.noise)
        #expect(n.sigma.contains(0) && n.sigma.count >= 3 && yaml.jobCount <= 12)
        let equivalent = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "\(yaml.name)", "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": ["\(BatchFixtures.tinyStimulus)"],
             "noise": {"sigma": [\(n.sigma.map { BatchFmtTest.short($0) }.joined(separator: ", "))], "samples": \(n.samples), "seed": \(n.seed)},
             "thresholds": {"margin": \(yaml.thresholds.margin)}, "required_yield": \(yaml.requiredYield)}
            """, in: dir, name: "equivalent.json")
        #expect(try yaml.jobs(modelsDirectory: "/m").map(\.id) == (try BatchManifest.load(path: equivalent).jobs(modelsDirectory: "/m").map(\.id)))
    }

    @Test("bad noise keys name the key, in JSON and in YAML")
    func invalid() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-invalid")
        let head = "\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"\(BatchFixtures.tinyNetwork)\"], \"stimuli\": [\"\(BatchFixtures.tinyStimulus)\"]"
        func field(_ noise: String, yaml: Bool = false) -> String? {
            do {
                let text = yaml ? "format: bmru-batch\nversion: 1\nnetworks: [\(BatchFixtures.tinyNetwork)]\nstimuli: [\(BatchFixtures.tinyStimulus)]\nnoise: \(noise)\n"
                                : "{\(head), \"noise\": \(noise)}"
                _ = try BatchManifest.load(path: try BatchFixtures.write(text, in: dir, name: yaml ? "bad.yaml" : "bad.json"))
                return nil
            } catch let e as BatchError {
                #expect(e.kind == .manifest)
                return e.field
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(field("0.1") == "noise")
        #expect(field("{\"sigma\": [0.1], \"sigmas\": [0.2]}") == "noise.sigmas")
        #expect(field("{\"samples\": 2}") == "noise.sigma")
        #expect(field("{\"sigma\": []}") == "noise.sigma")
        #expect(field("{\"sigma\": 0.1}") == "noise.sigma")
        #expect(field("{\"sigma\": [0.1, -0.01]}") == "noise.sigma[1]")
        #expect(field("{\"sigma\": [0.1, \"0.2\"]}") == "noise.sigma[1]")
        #expect(field("{\"sigma\": [0.1, 0.1]}") == "noise.sigma[1]")
        #expect(field("{\"sigma\": [0.1], \"samples\": 0}") == "noise.samples")
        #expect(field("{\"sigma\": [0.1], \"samples\": 1.5}") == "noise.samples")
        #expect(field("{\"sigma\": [0.1], \"seed\": -1}") == "noise.seed")
        #expect(field("{\"sigma\": [0.1], \"seed\": \"1\"}") == "noise.seed")
        #expect(field("{\"sigma\": [0.1], \"samples\": 2, \"seed\": 9007199254740991}") == "noise.seed")
        #expect(field("{\"sigma\": [0.1], \"samples\": 2, \"seed\": 9007199254740990}") == nil)
        // YAML: the same rules (.nan and .inf are YAML floats, a quoted number is a string)
        #expect(field("{sigma: [.nan]}", yaml: true) == "noise.sigma[0]")
        #expect(field("{sigma: [.inf]}", yaml: true) == "noise.sigma[0]")
        #expect(field("{sigma: ['0.1']}", yaml: true) == "noise.sigma[0]")
        #expect(field("{sigma: [0.1], seed: x}", yaml: true) == "noise.seed")
        #expect(field("{sigma: [0, 0.1], samples: 2, seed: 3}", yaml: true) == nil)
    }
}

enum BatchFmtTest {
    static func short(_ x: Double) -> String { x.rounded() == x ? String(Int(x)) : "\(x)" }
}

@Suite("Input noise in the circuit-aware model")
struct NoiseCircuitAwareTests {
    @Test("the circuit-aware model's --noise draws are InputNoise's: the same as running it noise-free on the noisy stimulus")
    func circuitAwareSharesTheDraws() throws {
        let models = try TestEnvironment.modelsDirectory()
        let cal = try CalibrationFile.load(path: TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path,
                                           modelsDirectory: models, corner: .typical)
        let net = try NetworkFile.load(path: BatchFixtures.tinyNetwork)
        let clean = StimulusFile.random(inputs: 2, frames: 60, seed: 8, density: 0.2)
        func model(_ noise: Double) throws -> CircuitAwareModel {
            try CircuitAwareModel(network: net, options: CircuitAwareOptions(calibration: cal, noise: noise, noiseSeed: 21, modelsDirectory: models),
                                  stimulus: clean)
        }
        let withNoise = try model(0.1).run(clean)
        #expect(withNoise == (try model(0).run(clean.withInputNoise(sigma: 0.1, seed: 21))))
        #expect(withNoise != (try model(0).run(clean)))
    }
}
