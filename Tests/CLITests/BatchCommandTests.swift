// `bmru batch` end to end: interrupt, --resume, shards and merge; failed simulations; bad manifests; the same
// circuit as `bmru cosim`; a noise batch; a killed batch leaves no workers; a second run on one folder is
// refused; a full disk stops the batch without false failures and --resume completes it.
import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("bmru batch with input noise (real ngspice)", .serialized)
struct BatchNoiseCommandTests {
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
        let r = try BMRU.run(["batch", manifest, "--out", dir + "/out", "--jobs", "1", "--quiet"], models: true)
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

@Suite("bmru batch: signals, locks, full disks", .serialized)
struct BatchFaultCommandTests {
    /// Jobs that each take seconds (100 frames): long enough to act on a running batch.
    static func slowManifest(in dir: String, corners: String = "[\"typical\", \"ff\", \"ss\", \"fs\"]") throws -> String {
        try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "slow",
             "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 100, "seed": 9, "density": 0.25}}],
             "corners": \(corners), "mismatch": {"samples": 1, "seed": 70, "nominal": true}, "required_yield": 0}
            """, in: dir, name: "slow.json")
    }

    func startBatch(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestEnvironment.bmruExecutable())
        p.arguments = ["batch"] + args
        p.environment = ProcessInfo.processInfo.environment.merging(["BMRU_MODELS": try TestEnvironment.modelsDirectory()]) { _, n in n }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func jobFolders(_ jobsDir: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []).filter { !$0.hasPrefix(".") })
    }

    /// Starts `bmru batch ARGS` with posix_spawn, as a shell does (Foundation's Process kills the child's whole
    /// process group when the child dies, which would hide orphaned workers), output to /dev/null.
    func spawnBatch(_ args: [String]) throws -> pid_t {
        let argv0 = try TestEnvironment.bmruExecutable()
        var env = ProcessInfo.processInfo.environment
        env["BMRU_MODELS"] = try TestEnvironment.modelsDirectory()
        let argv: [UnsafeMutablePointer<CChar>?] = ([argv0, "batch"] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv0, &actions, nil, argv, envp)
        guard rc == 0 else { throw ScratchMount.Unavailable(description: "precondition not met: cannot start \(argv0): \(String(cString: strerror(rc)))") }
        return pid
    }

    @Test("SIGKILL of the batch: its workers die within a second and no job folder appears afterwards")
    func workersDieWithParent() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-orphans")
        let manifest = try Self.slowManifest(in: dir)
        let out = dir + "/out"
        let parent = try spawnBatch([manifest, "--out", out, "--jobs", "2", "--quiet"])
        var reaped = false
        defer { if !reaped { kill(parent, SIGKILL); var st: Int32 = 0; waitpid(parent, &st, 0) } }
        var workers: [pid_t] = []
        let deadline = Date().addingTimeInterval(60)
        while workers.count < 2 && Processes.alive(parent) && Date() < deadline {
            usleep(50_000)
            workers = Processes.children(of: parent)
        }
        try #require(workers.count == 2, "precondition not met: the batch did not start 2 workers (saw \(workers))")
        usleep(500_000)   // the workers are inside their first jobs
        kill(parent, SIGKILL)
        var status: Int32 = 0
        waitpid(parent, &status, 0)
        reaped = true
        let atKill = Self.jobFolders(out + "/jobs")
        let killed = Date()
        while workers.contains(where: Processes.alive) && Date().timeIntervalSince(killed) < 1 { usleep(20_000) }
        let survivors = workers.filter(Processes.alive)
        print("workersDieWithParent: workers \(workers) gone after \(String(format: "%.3f", Date().timeIntervalSince(killed))) s (survivors \(survivors)); job folders at the kill: \(atKill.count)")
        #expect(survivors.isEmpty, "workers \(survivors) still run \(Date().timeIntervalSince(killed)) s after the batch was killed")
        sleep(4)
        let later = Self.jobFolders(out + "/jobs")
        #expect(later == atKill, "job folders written after the batch was killed: \(later.subtracting(atKill).sorted())")
        for w in survivors { kill(w, SIGKILL) }
    }

    @Test("two runs on one batch folder: the second is refused with exit 2 while the first holds the lock; the lock goes with the first")
    func secondRunRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-lock")
        let manifest = try Self.slowManifest(in: dir, corners: "[\"typical\", \"ff\"]")
        let out = dir + "/out"
        let first = try startBatch([manifest, "--out", out, "--jobs", "1", "--quiet"])
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(60)
        while Processes.children(of: first.processIdentifier).isEmpty && first.isRunning && Date() < deadline { usleep(50_000) }
        try #require(first.isRunning && FileManager.default.fileExists(atPath: out + "/batch.json"),
                     "precondition not met: the first batch is not running")
        let started = Date()
        let second = try BMRU.run(["batch", manifest, "--out", out, "--resume", "--jobs", "1", "--quiet"], models: true)
        #expect(second.status == 2, "exit \(second.status): \(second.stderr.suffix(600))")
        #expect(second.stderr.contains("another bmru batch") && second.stderr.contains(out), "\(second.stderr)")
        #expect(second.stderr.contains("process \(first.processIdentifier)"), "\(second.stderr)")
        #expect(Date().timeIntervalSince(started) < 10, "the refusal should be immediate")
        #expect(first.isRunning, "the first run should still be working")
        first.interrupt()
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        // the lock ended with the first process: a third run gets past it (and stops at its own, different, error)
        let third = try BMRU.run(["batch", manifest, "--out", out, "--resume", "--shard", "0/2", "--quiet"], models: true)
        #expect(third.status == 2 && third.stderr.contains("--shard") && !third.stderr.contains("another bmru batch"), "\(third.stderr)")
    }

    @Test("a full disk in a batch stops it with exit 2 naming the path and ENOSPC, records no false failure, and --resume after freeing space completes it")
    func batchDiskFull() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-full-manifest")
        let manifest = try BatchFixtures.sixJobs(in: dir)
        // a job folder is about 110 KiB (report.html with its charts about 64 KiB): one fits
        let disk = try ScratchMount.tmpfs(kilobytes: 200, label: "batch-full")
        defer { disk.unmount() }
        let out = disk.path + "/out"
        let r = try BMRU.run(["batch", manifest, "--out", out, "--jobs", "2", "--quiet"], models: true)
        #expect(r.status == 2, "exit \(r.status): \(r.stderr.suffix(1500))")
        #expect(r.stderr.contains("No space left on device") && r.stderr.contains(out + "/jobs/"), "\(r.stderr.suffix(1500))")
        #expect(!r.stderr.contains("died"), "\(r.stderr.suffix(1500))")
        #expect(BMRU.noRawDump(r.stderr))
        let jobsDir = out + "/jobs"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []
        #expect(!entries.contains { $0.hasPrefix(".") }, "temporary folders left: \(entries)")
        let done = Self.jobFolders(jobsDir)
        #expect(done.count < 6, "precondition not met: the disk did not fill up (\(done.count) jobs written)")
        for id in done {
            let res = try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: "\(jobsDir)/\(id)/result.json")))
            #expect(res.status == "ok", "job \(id) recorded as \(res.status): \(String(describing: res.error))")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/junit.xml"), "a stopped batch must leave no junit.xml")

        try disk.resize(kilobytes: 4096)
        let resumed = try BMRU.run(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"], models: true)
        #expect(resumed.status == 0 || resumed.status == 1, "exit \(resumed.status): \(resumed.stderr.suffix(1500))")
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        #expect(summary.jobs_done == 6 && summary.jobs_failed == 0 && summary.complete, "\(summary.jobs_done) done, \(summary.jobs_failed) failed")

        // a passing summary of an earlier run does not survive a run that stops on a full disk
        let dropped = try #require(Self.jobFolders(jobsDir).sorted().first)
        try FileManager.default.removeItem(atPath: jobsDir + "/" + dropped)
        let filler = disk.path + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let fh = try #require(FileHandle(forWritingAtPath: filler))
        let block = Data(count: 64 << 10)
        var full = false
        while !full {
            do { try fh.write(contentsOf: block) } catch { full = true }
        }
        try? fh.close()
        let stopped = try BMRU.run(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"], models: true)
        #expect(stopped.status == 2 && stopped.stderr.contains("No space left on device"), "exit \(stopped.status): \(stopped.stderr.suffix(800))")
        for name in ["junit.xml", "summary.json", "summary.md", "summary.html"] {
            #expect(!FileManager.default.fileExists(atPath: out + "/" + name), "\(name) of the earlier run was left beside a stopped run")
        }
        #expect(!Self.jobFolders(jobsDir).contains(dropped))
        try FileManager.default.removeItem(atPath: filler)
        let again = try BMRU.run(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"], models: true)
        #expect(again.status == 0 || again.status == 1, "exit \(again.status): \(again.stderr.suffix(800))")
        #expect(again.stderr.contains("5 already done, 1 to run"), "\(again.stderr.prefix(400))")
    }
}

/// `bmru batch`: the executable, its worker processes, real ngspice on the GF180MCU models.
@Suite("bmru batch (the command, end to end)", .serialized)
struct BatchCommandTests {
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
        let resumed = try BMRU.run(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"], models: true)
        #expect(resumed.status == 0 || resumed.status == 1, "exit \(resumed.status): \(resumed.stderr.suffix(1500))")
        #expect(resumed.stderr.contains("\(before.count) already done, \(6 - before.count) to run"), "\(resumed.stderr.prefix(600))")
        #expect(BatchFixtures.finished(jobsDir).count == 6)
        for (key, date) in stamps {
            let now = try FileManager.default.attributesOfItem(atPath: "\(jobsDir)/\(key)")[.modificationDate] as? Date
            #expect(now == date, "\(key) was rewritten")
        }
        // without --resume an existing batch folder is refused
        let refused = try BMRU.run(["batch", manifest, "--out", out, "--quiet"], models: true)
        #expect(refused.status == 2 && refused.stderr.contains("--resume"))

        // 3. two shards in their own folders, merged: the same summary, byte for byte
        for i in 0..<2 {
            let s = try BMRU.run(["batch", manifest, "--out", "\(dir)/shard\(i)", "--jobs", "1", "--shard", "\(i)/2", "--quiet"], models: true)
            #expect(s.status == 0 || s.status == 1, "shard \(i): exit \(s.status): \(s.stderr.suffix(800))")
            #expect(BatchFixtures.finished("\(dir)/shard\(i)/jobs").count == 3)
        }
        let merged = try BMRU.run(["batch", "merge", "\(dir)/shard0", "\(dir)/shard1", "--out", "\(dir)/merged", "--quiet"], models: true)
        #expect(merged.status == 0 || merged.status == 1, "merge: \(merged.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/merged/summary.json"))
        #expect(a == b, "merged summary differs from the unsharded one")
        let summary = try BatchSummary.decode(a)
        #expect(summary.jobs_expected == 6 && summary.jobs_done == 6 && summary.complete)
        // one shard alone is incomplete when merged
        let partial = try BMRU.run(["batch", "merge", "\(dir)/shard0", "--out", "\(dir)/partial", "--quiet"], models: true)
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
        let r = try BMRU.run(["batch", manifest, "--out", dir + "/out", "--jobs", "1", "--quiet"], models: true)
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
        let r = try BMRU.run(["batch", path, "--out", dir + "/out"], models: true)
        #expect(r.status == 2)
        #expect(r.stderr.contains("corners[1]") && r.stderr.contains(path), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        let s = try BMRU.run(["batch", path, "--out", dir + "/out", "--shard", "2/2"], models: true)
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
            let b = try BMRU.run(["batch", manifest, "--out", "\(dir)/b-\(label)", "--jobs", "1", "--quiet"], models: true)
            #expect(b.status == 0, "\(b.stderr.suffix(800))")
            let c = try BMRU.run(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", "\(dir)/c-\(label)"] + flag, models: true)
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
