import ArgumentParser
import BMRUModel
import Batch
import CoSim
import Dispatch
import Foundation

struct BatchCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run many co-simulations (networks × stimuli × corners × temperatures × VDDs × mismatch samples) in worker processes.",
        discussion: """
        bmru batch MANIFEST --out DIR [--jobs N] [--shard I/N] [--resume] [--allow-large]
        bmru batch merge DIR... [--out MERGED]

        Each job's result lands atomically in DIR/jobs/<id>/ (result.json and the job's reports); \
        DIR/summary.json, summary.md, summary.html and junit.xml summarise the batch. \
        One run at a time per DIR (a lock, DIR/.bmru-batch.lock); workers end with the batch, even when it is killed; \
        an error writing DIR (disk full) stops the batch with exit 2 and records no job as failed (--resume continues). \
        Exit status: 0 when every job has a result and the yield reaches the manifest's required_yield, \
        1 otherwise, 2 for invalid input, 130 when interrupted.
        """,
        subcommands: [BatchRunCmd.self, BatchMergeCmd.self],
        defaultSubcommand: BatchRunCmd.self)
}

struct BatchRunCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a batch manifest (the default: `bmru batch MANIFEST ...`).")

    @Argument(help: "The batch manifest (format bmru-batch; JSON, or YAML when named *.yaml / *.yml).") var manifest: String
    @Option(name: .output(), help: "The batch folder.") var out: String
    @Option(name: .customLong("jobs"), help: "Worker processes (default: the number of cores).") var workers: Int?
    @Option(help: "Run only shard I of N (0 ≤ I < N): the jobs whose index is I modulo N.") var shard: String?
    @Flag(help: "Continue a batch folder: finished jobs are kept, never recomputed.") var resume = false
    @Flag(help: "With --resume: run the jobs recorded as failed again.") var retryFailed = false
    @Flag(help: "Allow a manifest that expands to more than \(BatchManifest.defaultJobLimit) jobs.") var allowLarge = false
    @Option(help: "Folder with design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?
    @Flag(help: "Print only the summary path, not the summary.") var quiet = false

    func run() throws {
        let outcome: BatchRunOutcome = try CLI.guarded {
            let n = workers ?? ProcessInfo.processInfo.activeProcessorCount
            guard n >= 1, n <= 1024 else { throw UsageFailure("--jobs: must be in 1...1024") }
            var shardValue: BatchShard?
            if let s = shard {
                guard let v = BatchShard.parse(s) else { throw UsageFailure("--shard \(s): expected I/N with 0 ≤ I < N (e.g. 0/4)") }
                shardValue = v
            }
            if retryFailed && !resume { throw UsageFailure("--retry-failed needs --resume") }
            let dir = ModelFiles.directory(option: models)
            try ModelFiles.require(dir)
            let m = try BatchManifest.load(path: ModelFiles.absolute(manifest))
            var options = BatchRunOptions(out: ModelFiles.absolute(out), workers: n, modelsDirectory: dir)
            options.shard = shardValue
            options.resume = resume
            options.retryFailed = retryFailed
            options.allowLarge = allowLarge
            options.calibrationDirectory = CalibrationFiles.defaultDirectory()
            let batch = BatchRun(manifest: m, options: options)
            let signals = SignalTrap { sig in
                CLI.stderr("batch: \(sig == SIGINT ? "interrupted" : "terminated"); stopping workers (finished jobs are kept; continue with --resume)")
                batch.abort()
            }
            defer { signals.cancel() }
            let printer = ProgressPrinter()
            return try batch.run(onStart: { selected, todo in
                let shardText = shardValue.map { ", shard \($0)" } ?? ""
                CLI.stderr("batch \(m.name): \(m.jobCount) jobs\(shardText), \(selected) selected, \(selected - todo) already done, \(todo) to run on \(min(n, max(todo, 1))) worker(s)")
            }, onWarning: { CLI.stderr("batch: warning: \($0)") }, onProgress: { printer.show($0) })
        }
        if outcome.aborted { throw ExitCode(130) }
        let s = outcome.summary
        if !quiet { print(BatchReportWriter.markdown(s)) }
        print("summary: \(ModelFiles.absolute(out))/summary.html (summary.json, summary.md, junit.xml beside it)")
        if !s.pass { throw ExitCode(1) }
    }
}

struct BatchMergeCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge batch folders (shards of one manifest) into one summary.",
        discussion: "Job folders are hard-linked (or copied) into --out (default: the first folder), which then holds one summary of all jobs.")

    @Argument(help: "Batch folders made from the same manifest.") var dirs: [String]
    @Option(name: .output(), help: "The merged batch folder (default: the first folder).") var out: String?
    @Flag(help: "Print only the summary path, not the summary.") var quiet = false

    func run() throws {
        let (summary, outDir): (BatchSummary, String) = try CLI.guarded {
            guard !dirs.isEmpty else { throw UsageFailure("merge: name at least one batch folder") }
            let folders = dirs.map(ModelFiles.absolute)
            let target = out.map(ModelFiles.absolute) ?? folders[0]
            return (try BatchMerge.merge(dirs: folders, out: target), target)
        }
        if !quiet { print(BatchReportWriter.markdown(summary)) }
        print("summary: \(outDir)/summary.html (summary.json, summary.md, junit.xml beside it)")
        if !summary.pass { throw ExitCode(1) }
    }
}

/// The process the pool starts: reads one job description per line on stdin, runs it in-process, writes
/// the job's folder atomically and answers one JSON line on stdout. Ends at EOF. The loop is `BatchWorkerLoop`.
struct BatchWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch-worker", abstract: "Internal: a batch worker process.",
                                                    shouldDisplay: false)

    /// the batch process: the worker dies with it (a SIGKILLed batch leaves no worker writing job folders)
    @Option(help: .hidden) var parent: Int32?

    func run() throws {
        if let parent { ProcessLifetime.dieWithParent(parent) }
        switch try BatchWorkerLoop.run() {
        case .endOfInput:
            return
        case .unreadableRequest:
            CLI.stderr("batch-worker: unreadable job description")
            throw ExitCode(2)
        case let .failed(jobID, error):
            CLI.stderr("batch-worker: job \(jobID): \(error)")
            throw ExitCode(2)
        case .poisoned:
            throw ExitCode(3)
        }
    }
}

/// Progress lines on stderr: at most two a second, and the last one always.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var lastShown = Date.distantPast

    func show(_ p: BatchProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard p.done == p.total || now.timeIntervalSince(lastShown) >= 0.5 else { return }
        lastShown = now
        var s = "batch: \(p.done)/\(p.total) done, \(p.passed) passed, \(p.failed) failed"
        if p.retried > 0 { s += ", \(p.retried) retried" }
        s += String(format: ", %.2f jobs/s", p.rate)
        if let left = p.remainingSeconds, p.done < p.total { s += ", about \(Self.duration(left)) left" }
        if let r = p.last, r.status != "ok" { s += " (job \(r.job.id) failed: \(r.error?.message ?? "?"))" }
        CLI.stderr(s)
    }

    static func duration(_ s: Double) -> String {
        if s < 90 { return "\(Int(s.rounded())) s" }
        if s < 5400 { return "\(Int((s / 60).rounded())) min" }
        return String(format: "%.1f h", s / 3600)
    }
}
