import BMRUModel
import CoSim
import Foundation

/// How to run a batch.
public struct BatchRunOptions: Sendable {
    /// the batch folder (DIR): batch.json, jobs/<id>/, summary files
    public var out: String
    public var workers: Int
    public var shard: BatchShard?
    /// continue a batch folder: finished jobs are kept and never recomputed
    public var resume = false
    /// with `resume`: also run again the jobs recorded as failed (no report)
    public var retryFailed = false
    public var allowLarge = false
    /// absolute folder with design.ngspice and sm141064.ngspice
    public var modelsDirectory: String
    /// the folder of default calibration tables (<corner>.json, models/calibration), used when the manifest
    /// leaves `calibration` out or says "default"
    public var calibrationDirectory: String?
    /// the worker process (by default `bmru batch-worker` of this executable)
    public var workerCommand: BatchWorkerCommand
    /// a worker that has not answered after its job's timeout plus this many seconds is killed (and the job retried)
    public var workerGrace: Double = 60

    public init(out: String, workers: Int, modelsDirectory: String, workerCommand: BatchWorkerCommand = .bmru()) {
        self.out = out; self.workers = workers; self.modelsDirectory = modelsDirectory; self.workerCommand = workerCommand
    }
}

/// What a batch run did.
public struct BatchRunOutcome: Sendable {
    public var summary: BatchSummary
    /// jobs of this run (the shard's)
    public var selected: Int
    /// finished results found and kept (`--resume`)
    public var skipped: Int
    /// jobs run now
    public var ran: Int
    public var aborted: Bool
}

/// Expands a manifest, runs the jobs that have no result yet in a worker pool, and writes the summary.
public final class BatchRun: @unchecked Sendable {
    public let manifest: BatchManifest
    public let options: BatchRunOptions
    private let lock = NSLock()
    private var pool: BatchPool?
    private var abortRequested = false

    public init(manifest: BatchManifest, options: BatchRunOptions) {
        self.manifest = manifest; self.options = options
    }

    /// Stops a running batch (e.g. on SIGINT): workers are killed, finished jobs stay, the summary covers them.
    public func abort() {
        lock.lock()
        abortRequested = true
        let p = pool
        lock.unlock()
        p?.abort()
    }

    /// `onStart(selected, toRun)` is called once the work is known; `onProgress` after every finished job.
    /// `onWarning` gets each problem that does not stop the batch (default calibration tables not usable).
    public func run(onStart: (Int, Int) -> Void = { _, _ in },
                    onWarning: (String) -> Void = { _ in },
                    onProgress: @escaping @Sendable (BatchProgress) -> Void = { _ in }) throws -> BatchRunOutcome {
        let fm = FileManager.default
        let (tables, warnings) = try manifest.calibrations(modelsDirectory: options.modelsDirectory,
                                                           defaultDirectory: options.calibrationDirectory)
        warnings.forEach(onWarning)
        let jobs = try manifest.jobs(modelsDirectory: options.modelsDirectory, calibrations: tables, allowLarge: options.allowLarge)
        let selected = options.shard.map { s in jobs.filter(s.contains) } ?? jobs
        let dir = options.out
        let jobsDir = dir + "/jobs"
        let record = BatchRecord(name: manifest.name, manifest_sha256: manifest.sha256, required_yield: manifest.requiredYield,
                                 shard: options.shard?.description, jobs: jobs.map { .init(id: $0.id, index: $0.index) })
        // the folder: new (or empty), or the same batch when resuming; one run at a time (the lock)
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            throw BatchError(kind: .output, file: dir, reason: "--out exists and is not a folder")
        }
        try BatchError.writing { try FileOutput.makeDirectory(dir) }
        let folderLock = try BatchLock.acquire(dir: dir)
        defer { folderLock.release() }
        if let old = try? BatchRecord.load(dir: dir) {
            guard options.resume else {
                throw BatchError(kind: .output, file: dir, reason: "the folder already holds a batch; pass --resume to continue it, or choose another --out")
            }
            guard old.manifest_sha256 == manifest.sha256 else {
                throw BatchError(kind: .output, file: dir, reason: "the folder holds a batch of another manifest (sha256 \(old.manifest_sha256.prefix(12))…, this one is \(manifest.sha256.prefix(12))…); choose another --out")
            }
            guard old.shard == record.shard else {
                throw BatchError(kind: .output, file: dir, reason: "the folder holds shard \(old.shard ?? "none") but --shard is \(record.shard ?? "none")")
            }
        } else if !((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter({ $0 != BatchLock.fileName }).isEmpty {
            if folderLock.created { folderLock.removeFile() }
            throw BatchError(kind: .output, file: dir, reason: "--out is a non-empty folder that is not a batch folder; choose another --out")
        }
        // the summary of an earlier run is out of date from here on (it is written again at the end): a run that
        // stops on an error (disk full) or is killed leaves no summary or junit.xml that could pass for its own
        for name in BatchReportWriter.fileNames { unlink(dir + "/" + name) }
        try BatchError.writing {
            try FileOutput.makeDirectory(jobsDir)
            try ReportWriter.atomicWrite(try record.json(), to: dir + "/batch.json")
        }

        // what is left to do; temporaries of this run's jobs are leftovers of a killed run
        var todo: [BatchJob] = []
        var skipped = 0
        for job in selected {
            BatchPool.removeTemporaries(jobsDirectory: jobsDir, id: job.id, pid: nil)
            if let r = BatchJobRunner.readResult(jobsDirectory: jobsDir, id: job.id) {
                if options.retryFailed && r.status != "ok" {
                    try? fm.removeItem(atPath: jobsDir + "/" + job.id)
                    todo.append(job)
                } else {
                    skipped += 1
                }
            } else {
                if fm.fileExists(atPath: jobsDir + "/" + job.id) {
                    // a folder without a readable result is not a finished job
                    try? fm.removeItem(atPath: jobsDir + "/" + job.id)
                }
                todo.append(job)
            }
        }
        onStart(selected.count, todo.count)

        var aborted = false
        if !todo.isEmpty {
            var config = BatchPool.Configuration(command: options.workerCommand, workers: options.workers)
            config.graceSeconds = options.workerGrace
            let p = BatchPool(configuration: config)
            lock.lock()
            pool = p
            let stop = abortRequested
            lock.unlock()
            if stop { p.abort() }
            _ = try p.run(todo, jobsDirectory: jobsDir, onProgress: onProgress)
            aborted = p.wasAborted
            lock.lock()
            pool = nil
            lock.unlock()
        }

        let results = selected.compactMap { BatchJobRunner.readResult(jobsDirectory: jobsDir, id: $0.id) }
        let summary = BatchSummary.make(name: manifest.name, manifestSHA256: manifest.sha256, shard: options.shard?.description,
                                        requiredYield: manifest.requiredYield, expected: selected.map(\.id), results: results)
        try BatchError.writing { try BatchReportWriter.writeAll(summary, results: results, to: dir) }
        return BatchRunOutcome(summary: summary, selected: selected.count, skipped: skipped, ran: todo.count, aborted: aborted)
    }
}

/// Merges batch folders (shards of one manifest) into one folder with one summary.
public enum BatchMerge {
    /// Job folders are hard-linked (copied across file systems) into `out/jobs/`, so the merged folder looks
    /// like a single run's and its summary's links work. `out` may be one of `dirs`.
    public static func merge(dirs: [String], out: String) throws -> BatchSummary {
        guard !dirs.isEmpty else { throw BatchError(kind: .merge, file: out, reason: "no batch folders to merge") }
        let records = try dirs.map { try BatchRecord.load(dir: $0) }
        let first = records[0]
        for (d, r) in zip(dirs, records) where r.manifest_sha256 != first.manifest_sha256 {
            throw BatchError(kind: .merge, file: d, reason: "made from another manifest (sha256 \(r.manifest_sha256.prefix(12))…) than \(dirs[0]) (\(first.manifest_sha256.prefix(12))…)")
        }
        let outJobs = out + "/jobs"
        if let existing = try? BatchRecord.load(dir: out), existing.manifest_sha256 != first.manifest_sha256 {
            throw BatchError(kind: .merge, file: out, reason: "holds a batch of another manifest")
        }
        try BatchError.writing(.merge) { try FileOutput.makeDirectory(outJobs) }
        // no batch run (or other merge) may work on the folder meanwhile
        let folderLock = try BatchLock.acquire(dir: out)
        defer { folderLock.release() }
        let outReal = URL(fileURLWithPath: out).resolvingSymlinksInPath().standardized.path
        let ids = first.jobs.map(\.id)
        for d in dirs {
            let real = URL(fileURLWithPath: d).resolvingSymlinksInPath().standardized.path
            if real == outReal { continue }
            let srcJobs = d + "/jobs"
            for id in ids {
                guard BatchJobRunner.readResult(jobsDirectory: srcJobs, id: id) != nil,
                      BatchJobRunner.readResult(jobsDirectory: outJobs, id: id) == nil else { continue }
                try linkFolder(srcJobs + "/" + id, into: outJobs, id: id)
            }
        }
        let merged = BatchRecord(name: first.name, manifest_sha256: first.manifest_sha256, required_yield: first.required_yield,
                                 shard: nil, jobs: first.jobs)
        let results = ids.compactMap { BatchJobRunner.readResult(jobsDirectory: outJobs, id: $0) }
        let summary = BatchSummary.make(name: first.name, manifestSHA256: first.manifest_sha256, shard: nil,
                                        requiredYield: first.required_yield, expected: ids, results: results)
        try BatchError.writing(.merge) {
            try ReportWriter.atomicWrite(try merged.json(), to: out + "/batch.json")
            try BatchReportWriter.writeAll(summary, results: results, to: out)
        }
        return summary
    }

    static func linkFolder(_ src: String, into jobsDir: String, id: String) throws {
        let fm = FileManager.default
        let tmp = jobsDir + "/" + BatchJobRunner.temporaryPrefix(id) + "\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
            for name in try fm.contentsOfDirectory(atPath: src) {
                let a = src + "/" + name, b = tmp + "/" + name
                if link(a, b) != 0 { try fm.copyItem(atPath: a, toPath: b) }
            }
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw BatchError(kind: .merge, file: src, reason: "cannot copy the job folder: \(error)")
        }
        if rename(tmp, jobsDir + "/" + id) != 0 {
            try? fm.removeItem(atPath: tmp)
            throw BatchError(kind: .merge, file: jobsDir + "/" + id, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
        }
    }
}

/// The exclusive lock of a batch folder (`DIR/.bmru-batch.lock`, flock), held for a whole run so that two runs
/// (two `--resume` at once) never work on one folder. The kernel drops it when the process ends, however it ends.
final class BatchLock {
    static let fileName = ".bmru-batch.lock"
    private var fd: Int32
    /// this run made the lock file (the folder had none)
    let created: Bool
    let path: String

    private init(fd: Int32, created: Bool, path: String) {
        self.fd = fd; self.created = created; self.path = path
    }

    static func acquire(dir: String) throws -> BatchLock {
        let path = dir + "/" + fileName
        let existed = FileManager.default.fileExists(atPath: path)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BatchError(kind: .output, file: path, reason: "cannot create the lock file: \(FileOutput.reason(errno))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            var holder = ""
            var buf = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buf, buf.count, 0)
            if n > 0, let pid = Int(String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                holder = " (process \(pid))"
            }
            close(fd)
            if code == EWOULDBLOCK {
                throw BatchError(kind: .output, file: dir, reason: "another bmru batch\(holder) is running on this folder (it holds \(path)); wait for it to finish, or choose another --out")
            }
            throw BatchError(kind: .output, file: path, reason: "cannot lock: \(FileOutput.reason(code))")
        }
        // the holder's pid, for the message of a refused second run
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        return BatchLock(fd: fd, created: !existed, path: path)
    }

    func removeFile() { unlink(path) }

    func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }
}
