import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

/// Batches run by the library (`BatchRun`, `BatchPool`) in real worker processes (`bmru batch-worker`, or a real
/// wrapper around it), with real ngspice on the GF180MCU models. The command's end-to-end tests are in
/// CLITests/BatchCommandTests.swift.
@Suite("Batch runs (worker processes, real ngspice)", .serialized)
struct BatchRunTests {
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
            let res = try BatchFixtures.result(dir + "/plain/jobs", j.id)
            #expect(res.status == "ok" && res.attempts == 1, "\(j.id): \(res.status), attempt \(res.attempts)")
        }

        // the same jobs with workers SIGKILLed on `retried` once and on `doomed` every time
        let out = dir + "/out"
        let (_, progress) = try Self.run(manifest, out: out, worker: try Self.killingWorker(in: dir, once: [retried], always: [doomed]))
        #expect(FileManager.default.fileExists(atPath: dir + "/marks/" + retried), "the worker was not killed on \(retried)")
        let jobsDir = out + "/jobs"
        // every job has a folder; nothing half-written is left
        #expect(BatchFixtures.entries(jobsDir) == jobs.map(\.id).sorted(), "\(BatchFixtures.entries(jobsDir))")
        let again = try BatchFixtures.result(jobsDir, retried)
        #expect(again.status == "ok" && again.attempts == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: jobsDir + "/" + retried).sorted()
        #expect(files == BatchFixtures.jobFiles)
        // a report that decodes is a complete report, and the retried job's is the plain worker's
        var report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: jobsDir + "/" + retried + "/report.json")))
        let plainReport = try #require(try BatchFixtures.result(dir + "/plain/jobs", retried).report)
        report.timing = plainReport.timing
        #expect(report == plainReport)
        let failed = try BatchFixtures.result(jobsDir, doomed)
        #expect(failed.status == "failed" && failed.attempts == 2 && failed.error?.kind == "worker")
        #expect(failed.error?.message.contains("died while running the job") == true, "\(String(describing: failed.error))")
        #expect(failed.error?.lines.joined().contains("signal 9") == true, "\(String(describing: failed.error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: jobsDir + "/" + doomed).sorted() == ["error.log", "result.json"])
        // the batch went on: the other jobs finished normally on their first attempt
        for j in jobs where j.id != retried && j.id != doomed {
            let res = try BatchFixtures.result(jobsDir, j.id)
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

    @Test("a hung worker (stopped with a real SIGSTOP) is killed by the watchdog and its job recorded as failed for the time limit; the others complete")
    func hungWorker() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-hang")
        let manifest = try BatchFixtures.randomStimulus(name: "hang", frames: 3, seed: 2, corners: ["typical", "ff", "ss", "fs"],
                                                        extra: "\"required_yield\": 0, \"timeout_s\": 8", in: dir)
        let jobs = try BatchFixtures.cliJobs(manifest)
        let jobsDir = dir + "/out/jobs"
        // one attempt per job: the hung job's record says why it has no report
        // this pool's workers run through a link of their own, so the SIGSTOP below can only reach one of them
        // (other suites' batch workers are children of this test process too)
        let link = dir + "/hang-worker"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: try TestEnvironment.bmruExecutable())
        var command = try Self.plainWorker()
        command.executable = link
        var config = BatchPool.Configuration(command: command, workers: 2)
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
            if let w = Processes.children(of: getpid()).first(where: { Processes.arguments(of: $0).first == link }) {
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
        #expect(try BatchFixtures.result(jobsDir, hung.job.id) == hung)
        // the other jobs completed on their first attempt, on the other worker and on the stopped one's successor
        for r in results.values where r.job.id != hung.job.id {
            #expect(r.status == "ok" && r.attempts == 1 && r.report != nil, "job \(r.job.index): \(r.status)")
        }
        #expect(BatchFixtures.entries(jobsDir) == jobs.map(\.id).sorted(), "\(BatchFixtures.entries(jobsDir))")
    }
}
