import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import Characterization
import Netlist
import TestSupport
import Testing

/// Input-referred noise in co-simulation and batches. The draws themselves are checked against their written
/// definition in BMRUModelTests/InputNoiseTests; here `withInputNoise` is the reference for what the deck and the
/// model must have been driven with.
enum NoiseFixtures {
    static var tiny: Network { get throws { try NetworkFile.load(path: BatchFixtures.tinyNetwork) } }
    static var tinyStimulus: Stimulus { get throws { try StimulusFile.load(path: BatchFixtures.tinyStimulus, inputs: 2) } }

    /// The input currents (A) a deck's `iin_<i>` PWL sources drive, evaluated mid-frame, per frame and input.
    static func deckInputs(_ deckPath: String, inputs: Int, frames: Int, framePeriod: Double) throws -> [[Double]] {
        // SPICE lines: a line starting with "+" continues the one before
        var lines: [String] = []
        for l in try String(contentsOfFile: deckPath, encoding: .utf8).split(separator: "\n") {
            if l.hasPrefix("+"), !lines.isEmpty { lines[lines.count - 1] += " " + l.dropFirst() } else { lines.append(String(l)) }
        }
        var out = [[Double]](repeating: [Double](repeating: .nan, count: inputs), count: frames)
        for i in 0..<inputs {
            guard let line = lines.first(where: { $0.hasPrefix("iin_\(i) ") }),
                  let open = line.range(of: "pwl("), let close = line.range(of: ")", range: open.upperBound..<line.endIndex) else {
                Issue.record("deck has no PWL source iin_\(i)")
                continue
            }
            let numbers = line[open.upperBound..<close.lowerBound].split(separator: " ").compactMap { Double($0) }
            let points = stride(from: 0, to: numbers.count - 1, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
            for k in 0..<frames {
                let t = (Double(k) + 0.5) * framePeriod
                // piecewise linear, held after the last point
                var v = points.first?.1 ?? .nan
                for (a, b) in zip(points, points.dropFirst()) where t >= a.0 {
                    v = t >= b.0 ? b.1 : a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
                }
                out[k][i] = v
            }
        }
        return out
    }

    /// waveforms.csv as columns by header name.
    static func waveforms(_ path: String) throws -> [String: [Double]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var cols: [String: [Double]] = [:]
        for line in lines.dropFirst() {
            for (h, cell) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) {
                cols[h, default: []].append(Double(cell) ?? .nan)
            }
        }
        return cols
    }

    /// Argmax (lowest index on ties) per frame, then the most frequent class (lowest on ties).
    static func sequenceDecision(_ rows: [[Double]]) -> (frames: [Int], sequence: Int) {
        let f = rows.map { r in r.indices.reduce(0) { r[$1] > r[$0] ? $1 : $0 } }
        let classes = rows.first?.count ?? 1
        let counts = (0..<classes).map { c in f.filter { $0 == c }.count }
        return (f, counts.indices.reduce(0) { counts[$1] > counts[$0] ? $1 : $0 })
    }

    /// equal to the deck's 12 significant digits
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-11 * max(abs(b), 1e-15) }

    static func bmru(_ args: [String]) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args,
                                environment: ["BMRU_MODELS": try TestEnvironment.modelsDirectory()])
    }
}

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

@Suite("Input noise in co-simulation (real ngspice)", .serialized)
struct NoiseCoSimTests {
    @Test("bmru cosim --input-noise: the deck and the model get the noisy stimulus, and the robustness figures recount from the traces")
    func cosimWithNoise() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-cosim")
        let net = try NoiseFixtures.tiny, clean = try NoiseFixtures.tinyStimulus
        let sigma = 0.2, seed: UInt64 = 3
        let out = try NoiseFixtures.bmru(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/r",
                                          "--input-noise", "\(sigma)", "--noise-seed", "\(seed)", "--quiet"])
        // the circuit agrees with the model on the same noisy input
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json")))
        #expect(report.pass && report.state_agreement >= 0.995)
        let noisy = clean.withInputNoise(sigma: sigma, seed: seed)
        #expect(noisy != clean)

        // the deck's input sources: max(noisy, 0) × 1 nA per frame (12 significant digits in the deck)
        let deck = try NoiseFixtures.deckInputs(dir + "/r/deck.sp", inputs: 2, frames: clean.count, framePeriod: net.framePeriod)
        for t in 0..<clean.count {
            for i in 0..<2 {
                let want = noisy.frames[t][i] * net.unitCurrent
                #expect(NoiseFixtures.close(deck[t][i], want), "frame \(t) input \(i): \(deck[t][i]) vs \(want)")
            }
        }
        // the noisy stimulus written beside the report is the same
        let written = try StimulusFile.load(path: dir + "/r/stimulus-noisy.csv", inputs: 2)
        #expect(written == noisy)

        // the model's traces are the ideal model's on the noisy stimulus (not on the clean one)
        let w = try NoiseFixtures.waveforms(dir + "/r/waveforms.csv")
        let onNoisy = IdealModel(network: net).run(noisy), reference = IdealModel(network: net).run(clean)
        let cellIndex = try #require(net.layers.firstIndex { $0.kind == .bmru })
        let cell = net.layers[cellIndex]
        for j in 0..<cell.outputs {
            #expect(try #require(w["model:\(cell.name)[\(j)].state"]) == onNoisy.layers[cellIndex].states!.map { Double($0[j]) })
        }

        // recount the robustness from the written circuit and model states against the ideal model on the clean input
        let half = clean.count / 2
        func recount(_ side: String) throws -> (all: Double, first: Double, second: Double) {
            var d = [0, 0], n = [0, 0]
            for j in 0..<cell.outputs {
                let s = try #require(w["\(side):\(cell.name)[\(j)].state"])
                for t in 0..<clean.count {
                    let h = t < half ? 0 : 1
                    n[h] += 1
                    if Int(s[t]) != reference.layers[cellIndex].states![t][j] { d[h] += 1 }
                }
            }
            return (Double(d[0] + d[1]) / Double(n[0] + n[1]), Double(d[0]) / Double(n[0]), Double(d[1]) / Double(n[1]))
        }
        let noise = try #require(report.noise)
        #expect(noise.sigma_units == sigma && noise.seed == seed)
        #expect(noise.first_half_frames == 5 && noise.second_half_frames == 5)
        for (side, got) in [("circuit", noise.circuit), ("model", noise.model)] {
            let c = try recount(side)
            #expect(got.state_difference == c.all && got.state_difference_first_half == c.first && got.state_difference_second_half == c.second, "\(side)")
        }
        // the noise must actually knock states over here, or the recount proves little
        #expect((noise.circuit.state_difference ?? 0) > 0)
        // decisions: the reference's sequence decision and the circuit's, recounted from the output currents
        let outIndex = net.layers.count - 1, outName = net.layers[outIndex].name
        let ref = NoiseFixtures.sequenceDecision(reference.layers[outIndex].outputs)
        let o0 = try #require(w["circuit:\(outName)[0].current"]), o1 = try #require(w["circuit:\(outName)[1].current"])
        let circuitRows = (0..<clean.count).map { [o0[$0], o1[$0]] }
        let circ = NoiseFixtures.sequenceDecision(circuitRows)
        #expect(noise.reference_sequence_decision == ref.sequence)
        #expect(noise.circuit.sequence_decision == circ.sequence && noise.circuit.decision_changed == (circ.sequence != ref.sequence))
        #expect(noise.circuit.frame_decisions_changed == Double(zip(circ.frames, ref.frames).filter { $0 != $1 }.count) / Double(clean.count))
        // applied RMS: of the clipped perturbation
        let diffs = zip(noisy.frames.joined(), clean.frames.joined()).map { $0 - $1 }
        #expect(abs(noise.applied_rms_units - (diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count)).squareRoot()) < 1e-12)
        // Markdown and HTML carry the block
        let md = try String(contentsOfFile: dir + "/r/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: dir + "/r/report.html", encoding: .utf8)
        #expect(md.contains("**Input noise** σ = 0.2") && md.contains("| states differing, last 5 frames |"))
        #expect(html.contains("<h2>Input noise</h2>"))

        // without --input-noise: no noise block, no noisy stimulus file, and the deck's sources are the clean values
        let plain = try NoiseFixtures.bmru(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/p", "--quiet"])
        #expect(plain.status == 0)
        let plainJSON = try String(contentsOfFile: dir + "/p/report.json", encoding: .utf8)
        #expect(!plainJSON.contains("\"noise\"") && !FileManager.default.fileExists(atPath: dir + "/p/stimulus-noisy.csv"))
        let plainDeck = try NoiseFixtures.deckInputs(dir + "/p/deck.sp", inputs: 2, frames: clean.count, framePeriod: net.framePeriod)
        #expect(zip(plainDeck.joined(), clean.frames.joined()).allSatisfy { NoiseFixtures.close($0, max($1, 0) * 1e-9) })
        // bad σ: exit 2 naming the option, nothing written
        let bad = try NoiseFixtures.bmru(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/bad", "--input-noise=-0.1"])
        #expect(bad.status == 2 && bad.stderr.contains("--input-noise"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad"))
    }

    @Test("the circuit-aware model's --noise draws are InputNoise's: the same as running it noise-free on the noisy stimulus")
    func circuitAwareSharesTheDraws() throws {
        let models = try TestEnvironment.modelsDirectory()
        let cal = try CalibrationFile.load(path: TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path,
                                           modelsDirectory: models, corner: .typical)
        let net = try NoiseFixtures.tiny
        let clean = StimulusFile.random(inputs: 2, frames: 60, seed: 8, density: 0.2)
        func model(_ noise: Double) throws -> CircuitAwareModel {
            try CircuitAwareModel(network: net, options: CircuitAwareOptions(calibration: cal, noise: noise, noiseSeed: 21, modelsDirectory: models),
                                  stimulus: clean)
        }
        let withNoise = try model(0.1).run(clean)
        #expect(withNoise == (try model(0).run(clean.withInputNoise(sigma: 0.1, seed: 21))))
        #expect(withNoise != (try model(0).run(clean)))
    }

    @Test("a noise batch end to end: one job per σ and draw, clean job with the plain id, summary grouped by noise level")
    func noiseBatch() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-batch")
        let manifest = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "noisy", "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": ["\(BatchFixtures.tinyStimulus)"], "noise": {"sigma": [0, 0.1, 0.3], "samples": 2, "seed": 5},
             "thresholds": {"margin": 0.1}, "required_yield": 0}
            """, in: dir, name: "noisy.json")
        let plain = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "plain", "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": ["\(BatchFixtures.tinyStimulus)"], "thresholds": {"margin": 0.1}, "required_yield": 0}
            """, in: dir, name: "plain.json")
        let r = try NoiseFixtures.bmru(["batch", manifest, "--out", dir + "/out", "--jobs", "1", "--quiet"])
        #expect(r.status == 0, "\(r.stderr.suffix(800))")
        let jobs = try BatchFixtures.cliJobs(manifest)
        #expect(jobs.count == 5)
        let plainID = try BatchFixtures.cliJobs(plain)[0].id
        #expect(jobs[0].noise_sigma == nil && jobs[0].id == plainID)
        let results = try jobs.map { try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/jobs/\($0.id)/result.json"))) }
        #expect(results.allSatisfy { $0.status == "ok" })
        #expect(results[0].report?.noise == nil && results.dropFirst().allSatisfy { $0.report?.noise != nil })
        #expect(results.map { $0.job.inputNoise?.seed } == [nil, 5, 6, 5, 6])
        // the last job's deck is driven by the tiny stimulus with σ 0.3 and noise seed 6
        let clean = try NoiseFixtures.tinyStimulus, net = try NoiseFixtures.tiny
        let noisy = clean.withInputNoise(sigma: 0.3, seed: 6)
        let deck = try NoiseFixtures.deckInputs("\(dir)/out/jobs/\(jobs[4].id)/deck.sp", inputs: 2, frames: clean.count, framePeriod: net.framePeriod)
        #expect(zip(deck.joined(), noisy.frames.joined()).allSatisfy { NoiseFixtures.close($0, $1 * 1e-9) })

        // the summary: one group per noise level, the robustness aggregated from the jobs' reports
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/summary.json")))
        #expect(summary.jobs_done == 5 && summary.groups.map(\.noise_sigma) == [nil, 0.1, 0.3])
        #expect(summary.groups.map(\.jobs) == [1, 2, 2])
        #expect(summary.groups[0].noise == nil)
        for (g, members) in [(summary.groups[1], Array(results[1...2])), (summary.groups[2], Array(results[3...4]))] {
            let n = try #require(g.noise)
            let reports = members.compactMap { $0.report?.noise }
            let first = reports.compactMap(\.circuit.state_difference_first_half)
            let second = reports.compactMap(\.circuit.state_difference_second_half)
            #expect(n.noise_samples == 2 && n.decision_jobs == 2)
            #expect(abs((n.state_difference_first_half?.mean ?? -1) - first.reduce(0, +) / 2) < 1e-15)
            #expect(n.state_difference_second_half?.max == second.max())
            #expect(n.decision_changes == reports.filter { $0.circuit.decision_changed == true }.count)
        }
        let md = try String(contentsOfFile: dir + "/out/summary.md", encoding: .utf8)
        #expect(md.contains("**Noise robustness**") && md.contains("| noise σ |"))
        let html = try String(contentsOfFile: dir + "/out/summary.html", encoding: .utf8)
        #expect(html.contains("<h2>Noise robustness</h2>"))
        let junit = try String(contentsOfFile: dir + "/out/junit.xml", encoding: .utf8)
        #expect(junit.contains("noise σ 0.3 seed 6"))
    }
}
