import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

/// Real batches: the `bmru` executable, its worker processes, real ngspice on the GF180MCU models.
@Suite("Batch runs (worker processes, real ngspice)", .serialized)
struct BatchRunTests {
    func bmru(_ args: [String], env: [String: String] = [:]) throws -> TestEnvironment.ProcessOutput {
        var e = env
        e["BMRU_MODELS"] = try TestEnvironment.modelsDirectory()
        return try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args, environment: e)
    }

    static func entries(_ jobsDir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []).sorted()
    }

    static func finished(_ jobsDir: String) -> [String] {
        entries(jobsDir).filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: jobsDir + "/" + $0 + "/result.json") }
    }

    static func result(_ jobsDir: String, _ id: String) throws -> BatchJobResult {
        try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: jobsDir + "/" + id + "/result.json")))
    }

    static let jobFiles = ["deck.mapping.json", "deck.sp", "junit.xml", "report.html", "report.json", "report.md", "result.json", "waveforms.csv"]

    /// This build's `bmru batch-worker`, dying with the test process.
    static func plainWorker() throws -> BatchWorkerCommand {
        BatchWorkerCommand(executable: try TestEnvironment.bmruExecutable(), arguments: ["batch-worker", "--parent", "\(getpid())"])
    }

    /// A worker that is the real one, SIGKILLed on chosen jobs: the script execs the worker (so the process the pool
    /// started and knows by its pid is the real worker) with its stdin fed through a filter that kills it with
    /// SIGKILL when a request names a chosen job, before the worker reads that request. Arguments: MARKS ONCE ALWAYS
    /// WORKER [ARGS...], ONCE and ALWAYS comma-separated job ids: a job in ONCE is killed the first time it arrives
    /// (MARKS/<id> records that), one in ALWAYS every time.
    static func killingWorker(in dir: String, once: [String], always: [String]) throws -> BatchWorkerCommand {
        let script = dir + "/killing-worker.sh"
        try """
            #!/bin/bash
            marks=$1 once=$2 always=$3
            shift 3
            exec "$@" < <(
              while IFS= read -r line; do
                for id in ${always//,/ }; do
                  case $line in *"\"$id\""*) kill -KILL $$; exit 0 ;; esac
                done
                for id in ${once//,/ }; do
                  case $line in *"\"$id\""*) if mkdir "$marks/$id" 2>/dev/null; then kill -KILL $$; exit 0; fi ;; esac
                done
                printf '%s\n' "$line"
              done
            )

            """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        try FileManager.default.createDirectory(atPath: dir + "/marks", withIntermediateDirectories: true)
        let worker = try plainWorker()
        return BatchWorkerCommand(executable: script, arguments: [dir + "/marks", once.joined(separator: ","), always.joined(separator: ",")]
                                  + [worker.executable] + worker.arguments)
    }

    /// Runs a manifest as `bmru batch --jobs 2` does (the checkout's models and default calibration tables), with
    /// `worker` as the pool's worker process; returns the outcome and the last progress report.
    static func run(_ manifest: String, out: String, worker: BatchWorkerCommand) throws -> (BatchRunOutcome, BatchProgress?) {
        var options = BatchRunOptions(out: out, workers: 2, modelsDirectory: try TestEnvironment.modelsDirectory(), workerCommand: worker)
        options.calibrationDirectory = BatchFixtures.defaultCalibrationDirectory
        final class Last: @unchecked Sendable {
            let lock = NSLock()
            var progress: BatchProgress?
        }
        let last = Last()
        let outcome = try BatchRun(manifest: try BatchManifest.load(path: manifest), options: options).run(onProgress: { p in
            last.lock.lock(); last.progress = p; last.lock.unlock()
        })
        return (outcome, last.progress)
    }

    @Test("a worker killed with SIGKILL costs only its job: retried once, then recorded as failed; no partial files")
    func killedWorker() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-kill")
        let manifest = try BatchFixtures.sixJobs(in: dir)
        let jobs = try BatchFixtures.cliJobs(manifest)
        let retried = jobs[1].id, doomed = jobs[4].id

        // positive control: the plain worker runs every one of these jobs on its first attempt
        let (plain, plainProgress) = try Self.run(manifest, out: dir + "/plain", worker: try Self.plainWorker())
        #expect(plain.summary.jobs_done == 6 && plain.summary.jobs_failed == 0 && plainProgress?.retried == 0)
        for j in jobs {
            let res = try Self.result(dir + "/plain/jobs", j.id)
            #expect(res.status == "ok" && res.attempts == 1, "\(j.id): \(res.status), attempt \(res.attempts)")
        }

        // the same jobs with workers SIGKILLed on `retried` once and on `doomed` every time
        let out = dir + "/out"
        let (_, progress) = try Self.run(manifest, out: out, worker: try Self.killingWorker(in: dir, once: [retried], always: [doomed]))
        #expect(FileManager.default.fileExists(atPath: dir + "/marks/" + retried), "the worker was not killed on \(retried)")
        let jobsDir = out + "/jobs"
        // every job has a folder; nothing half-written is left
        #expect(Self.entries(jobsDir) == jobs.map(\.id).sorted(), "\(Self.entries(jobsDir))")
        let again = try Self.result(jobsDir, retried)
        #expect(again.status == "ok" && again.attempts == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: jobsDir + "/" + retried).sorted()
        #expect(files == Self.jobFiles)
        // a report that decodes is a complete report, and the retried job's is the plain worker's
        var report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: jobsDir + "/" + retried + "/report.json")))
        let plainReport = try #require(try Self.result(dir + "/plain/jobs", retried).report)
        report.timing = plainReport.timing
        #expect(report == plainReport)
        let failed = try Self.result(jobsDir, doomed)
        #expect(failed.status == "failed" && failed.attempts == 2 && failed.error?.kind == "worker")
        #expect(failed.error?.message.contains("died while running the job") == true, "\(String(describing: failed.error))")
        #expect(failed.error?.lines.joined().contains("signal 9") == true, "\(String(describing: failed.error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: jobsDir + "/" + doomed).sorted() == ["error.log", "result.json"])
        // the batch went on: the other jobs finished normally on their first attempt
        for j in jobs where j.id != retried && j.id != doomed {
            let res = try Self.result(jobsDir, j.id)
            #expect(res.status == "ok" && res.attempts == 1)
        }
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        #expect(summary.jobs_done == 6 && summary.jobs_failed == 1 && summary.complete)
        #expect(summary.worst.first?.id == doomed)
        // one requeue for each killed attempt short of the last: `retried` once, `doomed` once
        #expect(progress?.retried == 2 && progress?.done == 6 && progress?.failed == 1)
        // summary.html: a strip chart per group (typical, ff), a dot per job with a report
        let charts = try SVGCharts.parse(html: try String(contentsOfFile: out + "/summary.html", encoding: .utf8))
        #expect(charts.count == 2 && charts.map { $0.elements["circle"] ?? 0 }.reduce(0, +) == 5)
        #expect(charts.allSatisfy { $0.texts.first?.hasPrefix("state agreement from") == true })
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
        while Self.finished(jobsDir).count < 2 && p.isRunning && Date() < deadline { usleep(20_000) }
        p.interrupt()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "the interrupted batch exits 130")
        let before = Self.finished(jobsDir)
        #expect(before.count >= 2 && before.count < 6, "finished before the interrupt: \(before.count)")
        #expect(!Self.entries(jobsDir).contains { $0.hasPrefix(".") }, "temporary folders left: \(Self.entries(jobsDir))")
        var stamps: [String: Date] = [:]
        for id in before {
            for f in Self.jobFiles {
                let attrs = try FileManager.default.attributesOfItem(atPath: "\(jobsDir)/\(id)/\(f)")
                stamps["\(id)/\(f)"] = attrs[.modificationDate] as? Date
            }
        }
        usleep(50_000)

        // 2. resume: the rest runs, the finished jobs keep their files
        let resumed = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"])
        #expect(resumed.status == 0 || resumed.status == 1, "exit \(resumed.status): \(resumed.stderr.suffix(1500))")
        #expect(resumed.stderr.contains("\(before.count) already done, \(6 - before.count) to run"), "\(resumed.stderr.prefix(600))")
        #expect(Self.finished(jobsDir).count == 6)
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
            #expect(Self.finished("\(dir)/shard\(i)/jobs").count == 3)
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
            let full = try Self.result(jobsDir, j.id)
            let shard = try Self.result("\(dir)/shard\(j.index % 2)/jobs", j.id)
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

    @Test("a hung worker (stopped with a real SIGSTOP) is killed by the watchdog and its job recorded as failed for the time limit; the others complete")
    func hungWorker() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-hang")
        let manifest = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "hang",
             "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 3, "seed": 2}}], "corners": ["typical", "ff", "ss", "fs"],
             "required_yield": 0, "timeout_s": 8}
            """, in: dir)
        let jobs = try BatchFixtures.cliJobs(manifest)
        let jobsDir = dir + "/out/jobs"
        // one attempt per job: the hung job's record says why it has no report
        var config = BatchPool.Configuration(command: try Self.plainWorker(), workers: 2)
        config.graceSeconds = 1
        config.maxAttempts = 1
        let pool = BatchPool(configuration: config)
        final class Outcome: @unchecked Sendable {
            var results: [String: BatchJobResult]?
            var error: Error?
        }
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            do { outcome.results = try pool.run(jobs, jobsDirectory: jobsDir, onProgress: { _ in }) } catch { outcome.error = error }
            finished.signal()
        }.start()
        // the first worker to appear is stopped before it can answer its first job: to the pool it hangs
        var stopped: pid_t?
        let started = Date()
        while stopped == nil && Date().timeIntervalSince(started) < 60 {
            // only a worker that has started its program: stopped between fork and exec, a child would also
            // stop its parent (this process), which waits inside posix_spawn until the exec
            if let w = Processes.children(of: getpid()).first(where: { Processes.arguments(of: $0).contains("batch-worker") }) {
                kill(w, SIGSTOP)
                stopped = w
            } else {
                usleep(2_000)
            }
        }
        // bounded: a pool that never ends fails the test instead of hanging the suite
        if finished.wait(timeout: .now() + 120) == .timedOut {
            pool.abort()
            finished.wait()
            Issue.record("the batch did not finish within 120 s")
        }
        let pid = try #require(stopped, "precondition not met: no worker appeared")
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(!Processes.alive(pid), "the stopped worker was not killed")
        let results = try #require(outcome.results)
        #expect(Set(results.keys) == Set(jobs.map(\.id)))
        // the stopped worker's job, one of the two that went out first, failed for the time limit with how the
        // worker ended; its folder holds only the record
        let failed = results.values.filter { $0.status != "ok" }
        try #require(failed.count == 1, "\(results.values.map { "\($0.job.index): \($0.status) \(String(describing: $0.error))" })")
        let hung = failed[0]
        #expect([jobs[0].id, jobs[1].id].contains(hung.job.id))
        #expect(hung.status == "failed" && hung.attempts == 1 && hung.error?.kind == "worker")
        #expect(hung.error?.message.contains("exceeded the job's time limit (8.0 s + 1.0 s grace) and was killed") == true,
                "\(String(describing: hung.error))")
        #expect(hung.error?.lines == ["worker \(pid) was killed by signal 9 (SIGKILL)"], "\(String(describing: hung.error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: jobsDir + "/" + hung.job.id).sorted() == ["error.log", "result.json"])
        #expect(try Self.result(jobsDir, hung.job.id) == hung)
        // the other jobs completed on their first attempt, on the other worker and on the stopped one's successor
        for r in results.values where r.job.id != hung.job.id {
            #expect(r.status == "ok" && r.attempts == 1 && r.report != nil, "job \(r.job.index): \(r.status)")
        }
        #expect(Self.entries(jobsDir) == jobs.map(\.id).sorted(), "\(Self.entries(jobsDir))")
    }

    @Test("a simulation that fails (time limit, halted in ngspice) is recorded as failed with the reason; the batch goes on; exit 1")
    func failedSimulation() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-fail")
        // a 1 ms limit: the simulator halts the analysis (a real ngspice bg_halt) and reports a timeout
        let manifest = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "fail",
             "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 6, "seed": 2}}], "corners": ["typical", "ss", "ff"], "timeout_s": 0.001}
            """, in: dir)
        let r = try bmru(["batch", manifest, "--out", dir + "/out", "--jobs", "1", "--quiet"])
        #expect(r.status == 1, "exit \(r.status): \(r.stderr.suffix(800))")
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/summary.json")))
        #expect(summary.jobs_done == 3 && summary.jobs_failed == 3 && summary.complete && !summary.pass)
        for id in Self.finished(dir + "/out/jobs") {
            let res = try Self.result(dir + "/out/jobs", id)
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
        let path = try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 3, "seed": 1}}], "corners": ["typical", "slow"]}
            """, in: dir)
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
            let br = try Self.result("\(dir)/b-\(label)/jobs", job.id).report
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
