import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

/// `bmru batch` end to end: the executable, its worker processes, real ngspice on the GF180MCU models.
@Suite("bmru batch (the command, end to end)", .serialized)
struct BatchCommandTests {
    func bmru(_ args: [String]) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args, environment: ["BMRU_MODELS": try TestEnvironment.modelsDirectory()])
    }

    @Test("interrupt, --resume (finished jobs untouched), shards merged == unsharded summary, samples reproduce alone")
    func resumeShardsAndReproduction() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-resume")
        let manifest = try BatchFixtures.sixJobs(in: dir)
        let models = try TestEnvironment.modelsDirectory()
        let jobs = try BatchFixtures.cliJobs(manifest)
        let out = dir + "/full"
        let jobsDir = out + "/jobs"

        // 1. start with one worker, interrupt once two jobs are done
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestEnvironment.bmruExecutable())
        p.arguments = ["batch", manifest, "--out", out, "--jobs", "1", "--quiet"]
        p.environment = ProcessInfo.processInfo.environment.merging(["BMRU_MODELS": models]) { _, n in n }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while BatchFixtures.finished(jobsDir).count < 2 && p.isRunning && Date() < deadline { usleep(20_000) }
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "the interrupted batch exits 130")
        let before = BatchFixtures.finished(jobsDir)
        #expect(before.count >= 2 && before.count < 6, "finished before the interrupt: \(before.count)")
        #expect(!BatchFixtures.entries(jobsDir).contains { $0.hasPrefix(".") }, "temporary folders left: \(BatchFixtures.entries(jobsDir))")
        var stamps: [String: Date] = [:]
        for id in before {
            for f in BatchFixtures.jobFiles {
                let attrs = try FileManager.default.attributesOfItem(atPath: "\(jobsDir)/\(id)/\(f)")
                stamps["\(id)/\(f)"] = attrs[.modificationDate] as? Date
            }
        }
        usleep(50_000)

        // 2. resume: the rest runs, the finished jobs keep their files
        let resumed = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"])
        #expect(resumed.status == 0 || resumed.status == 1, "exit \(resumed.status): \(resumed.stderr.suffix(1500))")
        #expect(resumed.stderr.contains("\(before.count) already done, \(6 - before.count) to run"), "\(resumed.stderr.prefix(600))")
        #expect(BatchFixtures.finished(jobsDir).count == 6)
        for (key, date) in stamps {
            let now = try FileManager.default.attributesOfItem(atPath: "\(jobsDir)/\(key)")[.modificationDate] as? Date
            #expect(now == date, "\(key) was rewritten")
        }
        // without --resume an existing batch folder is refused
        let refused = try bmru(["batch", manifest, "--out", out, "--quiet"])
        #expect(refused.status == 2 && refused.stderr.contains("--resume"))

        // 3. two shards in their own folders, merged: the same summary, byte for byte
        for i in 0..<2 {
            let s = try bmru(["batch", manifest, "--out", "\(dir)/shard\(i)", "--jobs", "1", "--shard", "\(i)/2", "--quiet"])
            #expect(s.status == 0 || s.status == 1, "shard \(i): exit \(s.status): \(s.stderr.suffix(800))")
            #expect(BatchFixtures.finished("\(dir)/shard\(i)/jobs").count == 3)
        }
        let merged = try bmru(["batch", "merge", "\(dir)/shard0", "\(dir)/shard1", "--out", "\(dir)/merged", "--quiet"])
        #expect(merged.status == 0 || merged.status == 1, "merge: \(merged.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/merged/summary.json"))
        #expect(a == b, "merged summary differs from the unsharded one")
        let summary = try BatchSummary.decode(a)
        #expect(summary.jobs_expected == 6 && summary.jobs_done == 6 && summary.complete)
        // one shard alone is incomplete when merged
        let partial = try bmru(["batch", "merge", "\(dir)/shard0", "--out", "\(dir)/partial", "--quiet"])
        #expect(partial.status == 1)
        let p0 = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/partial/summary.json")))
        #expect(p0.jobs_missing == 3 && !p0.complete && !p0.pass)

        // 4. every job, recomputed by other worker processes in other shards, gives identical results; mismatch
        //    samples differ from each other and from nominal
        var reports: [String: AgreementReport] = [:]
        for j in jobs {
            let full = try BatchFixtures.result(jobsDir, j.id)
            let shard = try BatchFixtures.result("\(dir)/shard\(j.index % 2)/jobs", j.id)
            var r1 = try #require(full.report), r2 = try #require(shard.report)
            r2.timing = r1.timing
            #expect(r1 == r2, "job \(j.index) (seed \(String(describing: j.mismatch_seed))) differs between runs")
            #expect(r1.conditions.mismatch_seed == j.mismatch_seed)
            reports[j.id] = r1
        }
        for corner in ["typical", "ff"] {
            let group = jobs.filter { $0.corner == corner }
            let errors = group.map { reports[$0.id]!.layers["pre"]!.rms_error_a }
            #expect(Set(errors).count == 3, "\(corner): nominal and two samples should all differ: \(errors)")
        }
    }

    @Test("a simulation that fails (time limit, halted in ngspice) is recorded as failed with the reason; the batch goes on; exit 1")
    func failedSimulation() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-fail")
        // a 1 ms limit: the simulator halts the analysis (a real ngspice bg_halt) and reports a timeout
        let manifest = try BatchFixtures.randomStimulus(name: "fail", frames: 6, seed: 2, corners: ["typical", "ss", "ff"],
                                                        extra: "\"timeout_s\": 0.001", in: dir)
        let r = try bmru(["batch", manifest, "--out", dir + "/out", "--jobs", "1", "--quiet"])
        #expect(r.status == 1, "exit \(r.status): \(r.stderr.suffix(800))")
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/summary.json")))
        #expect(summary.jobs_done == 3 && summary.jobs_failed == 3 && summary.complete && !summary.pass)
        for id in BatchFixtures.finished(dir + "/out/jobs") {
            let res = try BatchFixtures.result(dir + "/out/jobs", id)
            #expect(res.status == "failed" && res.attempts == 1 && res.error?.kind == "simulation")
            let log = try String(contentsOfFile: "\(dir)/out/jobs/\(id)/error.log", encoding: .utf8)
            #expect(log.contains("timeout") && log.contains("wall-clock limit"), "\(log)")
        }
        let junit = try String(contentsOfFile: dir + "/out/junit.xml", encoding: .utf8)
        #expect(junit.contains("errors=\"3\"") && junit.contains("<error message="))
    }

    @Test("bad manifests exit 2 with the key named; nothing is written")
    func badManifest() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-bad")
        let path = try BatchFixtures.randomStimulus(name: "bad", frames: 3, seed: 1, corners: ["typical", "slow"], in: dir)
        let r = try bmru(["batch", path, "--out", dir + "/out"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("corners[1]") && r.stderr.contains(path), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        let s = try bmru(["batch", path, "--out", dir + "/out", "--shard", "2/2"])
        #expect(s.status == 2 && s.stderr.contains("--shard"))
    }

    @Test("a batch job emits the same circuit as `bmru cosim`: default calibration tables, or none for both")
    func sameCircuitAsCoSim() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-cosim")
        /// the circuit of a deck: its element lines (devices, sources), without comments, paths and control lines
        func circuit(_ deck: String) throws -> [String] {
            try String(contentsOfFile: deck, encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { l in ["m", "x", "i", "v", "r", "c"].contains(where: { l.hasPrefix($0) }) }
        }
        var circuits: [String: [String]] = [:]
        for (label, key, flag) in [("default", "", [String]()), ("none", ", \"calibration\": \"none\"", ["--no-calibration"])] {
            let manifest = try BatchFixtures.write("""
                {"format": "bmru-batch", "version": 1, "networks": ["\(BatchFixtures.tinyNetwork)"],
                 "stimuli": ["\(BatchFixtures.tinyStimulus)"], "required_yield": 0\(key)}
                """, in: dir, name: "\(label).json")
            let b = try bmru(["batch", manifest, "--out", "\(dir)/b-\(label)", "--jobs", "1", "--quiet"])
            #expect(b.status == 0, "\(b.stderr.suffix(800))")
            let c = try bmru(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", "\(dir)/c-\(label)"] + flag)
            #expect(c.status == 0, "\(c.stderr.suffix(800))")
            let job = try BatchFixtures.cliJobs(manifest)[0]
            #expect((job.calibration != nil) == (label == "default"))
            let batchCircuit = try circuit("\(dir)/b-\(label)/jobs/\(job.id)/deck.sp")
            #expect(batchCircuit.count > 20)
            #expect(batchCircuit == (try circuit("\(dir)/c-\(label)/deck.sp")))
            // the same circuit simulated the same way: the same supply power to the last digit
            let br = try BatchFixtures.result("\(dir)/b-\(label)/jobs", job.id).report
            let cr = try JSONDecoder().decode(AgreementReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/c-\(label)/report.json")))
            #expect(br?.power_w == cr.power_w)
            // the summary says how the decks were sized
            let summary = try JSONDecoder().decode(BatchSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/b-\(label)/summary.json")))
            #expect(summary.groups.count == 1 && summary.groups[0].calibration_sha256 == job.calibration?.sha256)
            let md = try String(contentsOfFile: "\(dir)/b-\(label)/summary.md", encoding: .utf8)
            #expect(md.contains(label == "default" ? "calibrated (" : "| nominal |"))
            circuits[label] = batchCircuit
        }
        // and the calibration really changes the circuit (otherwise the comparison above proves nothing about it)
        #expect(circuits["default"] != circuits["none"])
    }
}
