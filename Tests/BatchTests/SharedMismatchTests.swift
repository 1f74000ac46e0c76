import BMRUModel
import Batch
import BatchTestSupport
import Characterization
import CoSim
import Foundation
import Netlist
import TestSupport
import Testing

/// `"mismatch": {..., "shared": true}`: each sample's offsets are written into the deck and the job is judged
/// against the circuit-aware model of the same sample; the PDK-draw mode (the default) stays as it was.
@Suite("Shared-sample Monte Carlo in batches (worker processes, real ngspice)", .serialized)
struct SharedMismatchTests {
    static func manifest(shared: Bool?, calibration: String = "", in dir: String, name: String) throws -> String {
        let key = shared.map { ", \"shared\": \($0)" } ?? ""
        let written = try BatchFixtures.randomStimulus(name: "mc", frames: 4, seed: 11, corners: ["typical"],
                                                       extra: "\"mismatch\": {\"samples\": 2, \"seed\": 31\(key)}\(calibration)", in: dir)
        try FileManager.default.moveItem(atPath: written, toPath: dir + "/" + name)
        return dir + "/" + name
    }

    @Test("job ids: a manifest without `shared` and one with shared false expand to the same jobs; shared true to others")
    func ids() throws {
        let dir = try TestEnvironment.temporaryDirectory("shared-ids")
        let plain = try BatchFixtures.cliJobs(try Self.manifest(shared: nil, in: dir, name: "a.json"))
        let off = try BatchFixtures.cliJobs(try Self.manifest(shared: false, in: dir, name: "b.json"))
        let on = try BatchFixtures.cliJobs(try Self.manifest(shared: true, in: dir, name: "c.json"))
        #expect(plain.map(\.id) == off.map(\.id) && plain.count == 2)
        #expect(Set(plain.map(\.id)).isDisjoint(with: on.map(\.id)))
        #expect(on.allSatisfy { $0.mismatch_shared == true } && plain.allSatisfy { $0.mismatch_shared == nil })
        // without calibration tables there is no circuit-aware model to judge against: refused, naming the key
        let none = try Self.manifest(shared: true, calibration: ", \"calibration\": \"none\"", in: dir, name: "d.json")
        #expect {
            _ = try BatchFixtures.cliJobs(none)
        } throws: { e in
            guard let b = e as? BatchError else { return false }
            return b.field == "mismatch.shared" && b.reason.contains("calibration")
        }
    }

    @Test("a shared job's deck carries its offsets and it is judged against the circuit-aware model of its sample")
    func sharedRun() throws {
        let dir = try TestEnvironment.temporaryDirectory("shared-run")
        let shared = try Self.manifest(shared: true, in: dir, name: "shared.json")
        let pdk = try Self.manifest(shared: nil, in: dir, name: "pdk.json")
        func run(_ manifest: String, _ out: String) throws -> BatchRunOutcome {
            var o = BatchRunOptions(out: out, workers: 2, modelsDirectory: try TestEnvironment.modelsDirectory(),
                                    workerCommand: try BatchRunTests.plainWorker())
            o.calibrationDirectory = BatchFixtures.defaultCalibrationDirectory
            return try BatchRun(manifest: try BatchManifest.load(path: manifest), options: o).run()
        }
        let s = try run(shared, dir + "/shared"), p = try run(pdk, dir + "/pdk")
        #expect(s.summary.jobs_done == 2 && p.summary.jobs_done == 2)
        #expect(s.summary.groups.first?.mismatch_mode == "shared" && p.summary.groups.first?.mismatch_mode == "pdk")
        #expect(try String(contentsOfFile: dir + "/shared/summary.md", encoding: .utf8).contains("Mismatch: shared samples"))
        let net = try NetworkFile.load(path: BatchFixtures.tinyNetwork)
        let cal = try CalibrationFile.load(path: BatchFixtures.defaultCalibrationDirectory + "/typical.json",
                                           modelsDirectory: try TestEnvironment.modelsDirectory(), corner: .typical)
        for job in try BatchFixtures.cliJobs(shared) {
            let folder = dir + "/shared/jobs/" + job.id
            let r = try #require(try BatchFixtures.result(dir + "/shared/jobs", job.id).report)
            let seed = try #require(job.mismatch_seed)
            #expect(r.conditions.model == "circuit_aware" && r.conditions.shared_mismatch_seed == seed && r.conditions.mismatch_seed == nil)
            let deck = try String(contentsOfFile: folder + "/deck.sp", encoding: .utf8)
            #expect(deck.contains(" dv_m1=") && deck.contains("sw_stat_mismatch=0") && !deck.contains("sw_stat_mismatch=1"))
            // the model side of the comparison is the circuit-aware model of this sample (recomputed here)
            let stim = StimulusFile.random(inputs: net.inputs, frames: 4, seed: 11)
            let model = try CircuitAwareModel(network: net, options: CircuitAwareOptions(
                calibration: cal, mismatch: MismatchSample(seed: seed, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT),
                modelsDirectory: try TestEnvironment.modelsDirectory()), stimulus: stim).run(stim)
            let ideal = IdealModel(network: net).run(stim)
            let csv = try String(contentsOfFile: folder + "/waveforms.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
            let col = try #require(csv[0].firstIndex(of: "model:pre[0].current"))
            let written = csv.dropFirst().map { Double($0[col])! }
            let aware = model.layers[0].outputs.map { $0[0] }, plain = ideal.layers[0].outputs.map { $0[0] }
            #expect(zip(written, aware).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "\(written) vs \(aware)")
            #expect(zip(aware, plain).contains { abs($0 - $1) > 1e-6 }, "the circuit-aware model should differ from the ideal one")
        }
        // positive control: the PDK mode's jobs draw in ngspice and are judged against the ideal model
        for job in try BatchFixtures.cliJobs(pdk) {
            let r = try #require(try BatchFixtures.result(dir + "/pdk/jobs", job.id).report)
            #expect(r.conditions.model == "ideal" && r.conditions.mismatch_seed == job.mismatch_seed && r.conditions.shared_mismatch_seed == nil)
            let deck = try String(contentsOfFile: dir + "/pdk/jobs/\(job.id)/deck.sp", encoding: .utf8)
            #expect(deck.contains("sw_stat_mismatch=1") && !deck.contains(" dv_m1="))
        }
    }
}
