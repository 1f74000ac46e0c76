import BMRUModel
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a batch stands, for progress lines.
public struct BatchProgress: Sendable {
    /// jobs finished in this run (passed, short of agreement, or failed)
    public var done: Int
    /// jobs this run has to do
    public var total: Int
    public var passed: Int
    /// failed jobs (no report: ngspice error, worker died twice, ...)
    public var failed: Int
    public var retried: Int
    public var elapsed: Double
    /// finished jobs per second so far
    public var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }
    public var remainingSeconds: Double? { rate > 0 ? Double(total - done) / rate : nil }
    public var last: BatchJobResult?
}

/// A pool of worker processes (`BatchWorkerCommand`, by default `bmru batch-worker`), each running one job at a
/// time with its own libngspice.
/// Jobs go to whichever worker is free. A worker that dies or exceeds its job's time limit (plus a grace
/// period) is killed and replaced; its job is retried once on a fresh worker and then recorded as failed.
public final class BatchPool: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// the process every worker is
        public var command: BatchWorkerCommand
        public var workers: Int
        /// a worker gets the job's timeout plus this many seconds before it is killed
        public var graceSeconds: Double = 60
        /// attempts per job before it is recorded as failed
        public var maxAttempts: Int = 2
        public init(command: BatchWorkerCommand = .bmru(), workers: Int) {
            self.command = command; self.workers = max(1, workers)
        }
    }

    let config: Configuration
    private let lock = NSCondition()
    private var queue: [(job: BatchJob, attempt: Int)] = []
    private var inFlight = 0
    private var aborted = false
    private var results: [String: BatchJobResult] = [:]
    private var workers: [Int: WorkerProcess] = [:]   // slot -> live worker
    private var deadlines: [Int: (Date, pid_t)] = [:]
    private var timedOut: Set<pid_t> = []
    private var progress = BatchProgress(done: 0, total: 0, passed: 0, failed: 0, retried: 0, elapsed: 0, last: nil)
    private var started = Date()
    private var firstError: Error?

    public init(configuration: Configuration) {
        self.config = configuration
    }

    /// Stops the batch from another thread (e.g. a signal handler): every worker is killed, `run` returns
    /// what finished so far and throws nothing more; unfinished jobs leave no folder.
    public func abort() {
        lock.lock()
        aborted = true
        for (_, w) in workers { kill(w.pid, SIGKILL) }
        lock.broadcast()
        lock.unlock()
    }

    public var wasAborted: Bool {
        lock.lock(); defer { lock.unlock() }
        return aborted
    }

    /// Runs the jobs and returns their results by id (those that finished before an abort).
    public func run(_ jobs: [BatchJob], jobsDirectory: String,
                    onProgress: @escaping @Sendable (BatchProgress) -> Void) throws -> [String: BatchJobResult] {
        signal(SIGPIPE, SIG_IGN)
        try BatchError.writing { try FileOutput.makeDirectory(jobsDirectory) }
        lock.lock()
        queue = jobs.map { ($0, 1) }
        progress.total = jobs.count
        started = Date()
        lock.unlock()
        let slots = min(config.workers, max(jobs.count, 1))
        let group = DispatchGroup()
        for slot in 0..<slots {
            group.enter()
            let t = Thread { [self] in
                self.slotLoop(slot, jobsDirectory: jobsDirectory, onProgress: onProgress)
                group.leave()
            }
            t.stackSize = 1 << 20
            t.start()
        }
        let watchdogDone = DispatchSemaphore(value: 0)
        let watchdog = Thread { [self] in
            while group.wait(timeout: .now() + 0.2) == .timedOut {
                self.checkDeadlines()
            }
            watchdogDone.signal()
        }
        watchdog.start()
        group.wait()
        watchdogDone.wait()
        lock.lock()
        defer { lock.unlock() }
        for (_, w) in workers { w.close() }
        workers.removeAll()
        if let e = firstError, !aborted { throw e }
        return results
    }

    private func checkDeadlines() {
        lock.lock()
        let now = Date()
        for (_, (deadline, pid)) in deadlines where now > deadline && !timedOut.contains(pid) {
            timedOut.insert(pid)
            kill(pid, SIGKILL)
        }
        lock.unlock()
    }

    private func next() -> (job: BatchJob, attempt: Int)? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if aborted || firstError != nil { return nil }
            if !queue.isEmpty {
                inFlight += 1
                return queue.removeFirst()
            }
            if inFlight == 0 { return nil }
            lock.wait()
        }
    }

    private func finish(_ result: BatchJobResult?, requeue: (BatchJob, Int)?, error: Error? = nil,
                        onProgress: @Sendable (BatchProgress) -> Void) {
        lock.lock()
        inFlight -= 1
        if let e = error, firstError == nil {
            // the batch stops: the other workers are killed, their jobs leave nothing (no false failure records)
            firstError = e
            for (_, w) in workers { kill(w.pid, SIGKILL) }
        }
        if let (job, attempt) = requeue, !aborted {
            queue.insert((job, attempt), at: 0)
            progress.retried += 1
        }
        var snapshot: BatchProgress?
        if let r = result {
            results[r.job.id] = r
            progress.done += 1
            if r.status != "ok" { progress.failed += 1 } else if r.pass { progress.passed += 1 }
            progress.elapsed = Date().timeIntervalSince(started)
            progress.last = r
            snapshot = progress
        }
        lock.broadcast()
        lock.unlock()
        if let s = snapshot { onProgress(s) }
    }

    private func slotLoop(_ slot: Int, jobsDirectory: String, onProgress: @Sendable (BatchProgress) -> Void) {
        while let (job, attempt) = next() {
            // a worker for this slot
            lock.lock()
            var worker = workers[slot]
            lock.unlock()
            if worker == nil {
                do {
                    let w = try WorkerProcess.spawn(config.command)
                    lock.lock()
                    if aborted { kill(w.pid, SIGKILL) }
                    workers[slot] = w
                    lock.unlock()
                    worker = w
                } catch {
                    finish(nil, requeue: nil, error: error, onProgress: onProgress)
                    return
                }
            }
            guard let w = worker else {
                finish(nil, requeue: (job, attempt), onProgress: onProgress)
                continue
            }
            let request = BatchWorkerRequest(job: job, jobs_directory: jobsDirectory, attempt: attempt)
            var answer: BatchWorkerAnswer?
            lock.lock()
            deadlines[slot] = (Date().addingTimeInterval(job.timeout_s + config.graceSeconds), w.pid)
            lock.unlock()
            if let line = try? JSONEncoder().encode(request), w.send(line + Data([0x0a])) {
                // the answer is the first line that decodes (a stray line is skipped); nil at EOF
                while answer == nil, let reply = w.readLine() {
                    answer = try? JSONDecoder().decode(BatchWorkerAnswer.self, from: reply)
                }
            }
            lock.lock()
            deadlines[slot] = nil
            let wasAborted = aborted || firstError != nil
            let hung = timedOut.contains(w.pid)
            lock.unlock()

            if let a = answer, a.status == "ok" || a.status == "failed", a.id == job.id,
               let r = BatchJobRunner.readResult(jobsDirectory: jobsDirectory, id: job.id) {
                finish(r, requeue: nil, onProgress: onProgress)
                continue
            }
            if let a = answer, a.status == "io-error", a.id == job.id {
                // the worker could not write the job's folder (disk full, read-only, ...): an I/O error of the
                // batch, not an outcome of the job; the batch stops and records nothing for the job
                w.close()
                w.reap()
                lock.lock()
                workers[slot] = nil
                lock.unlock()
                Self.removeTemporaries(jobsDirectory: jobsDirectory, id: job.id, pid: w.pid)
                let e = BatchError(kind: .output, file: a.error?.lines.first ?? jobsDirectory,
                                   reason: (a.error?.message ?? "cannot write the job's folder")
                                       + " (job \(job.id); the batch stopped and recorded no failure: finished jobs are kept, continue with --resume once the folder can be written)")
                finish(nil, requeue: nil, error: e, onProgress: onProgress)
                return
            }
            // the worker is gone or unusable: reap it, remove what it left half-written
            w.close()
            let exit = w.reap()
            lock.lock()
            workers[slot] = nil
            timedOut.remove(w.pid)
            lock.unlock()
            Self.removeTemporaries(jobsDirectory: jobsDirectory, id: job.id, pid: w.pid)
            if wasAborted {
                finish(nil, requeue: nil, onProgress: onProgress)
                return
            }
            // it may have committed the job before dying
            if let r = BatchJobRunner.readResult(jobsDirectory: jobsDirectory, id: job.id) {
                finish(r, requeue: nil, onProgress: onProgress)
                continue
            }
            var why: BatchJobError
            if let a = answer, a.status == "poisoned" {
                why = a.error ?? BatchJobError(kind: "simulation", message: "ngspice asked to exit")
            } else if hung {
                why = BatchJobError(kind: "worker", message: "the worker exceeded the job's time limit (\(job.timeout_s) s + \(config.graceSeconds) s grace) and was killed",
                                    lines: [exit])
            } else {
                why = BatchJobError(kind: "worker", message: "the worker died while running the job", lines: [exit])
            }
            if attempt < config.maxAttempts {
                finish(nil, requeue: (job, attempt + 1), onProgress: onProgress)
                continue
            }
            why.message += " (attempt \(attempt) of \(config.maxAttempts))"
            let failed = BatchJobResult(job: job, status: "failed", pass: false, report: nil, error: why, attempts: attempt)
            do {
                try BatchJobRunner.commit(failed, outcome: nil, jobsDirectory: jobsDirectory)
                finish(BatchJobRunner.readResult(jobsDirectory: jobsDirectory, id: job.id) ?? failed, requeue: nil, onProgress: onProgress)
            } catch {
                finish(nil, requeue: nil, error: error, onProgress: onProgress)
                return
            }
        }
        // no more work: let this slot's worker go (EOF on its stdin ends it)
        lock.lock()
        let w = workers.removeValue(forKey: slot)
        lock.unlock()
        if let w {
            w.close()
            _ = w.reap()
        }
    }

    /// Removes `DIR/jobs/.tmp-<id>-<pid>` (pid nil: of any process).
    public static func removeTemporaries(jobsDirectory: String, id: String, pid: pid_t?) {
        let prefix = BatchJobRunner.temporaryPrefix(id)
        let fm = FileManager.default
        if let pid {
            try? fm.removeItem(atPath: jobsDirectory + "/" + prefix + "\(pid)")
            return
        }
        for name in (try? fm.contentsOfDirectory(atPath: jobsDirectory)) ?? [] where name.hasPrefix(prefix) {
            try? fm.removeItem(atPath: jobsDirectory + "/" + name)
        }
    }
}

/// A child process with a pipe to its stdin and one from its stdout (its stderr is ours).
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    private var input: Int32
    private var output: Int32
    private var buffer: [UInt8] = []
    private var reaped: String?
    private static let spawnLock = NSLock()

    private init(pid: pid_t, input: Int32, output: Int32) {
        self.pid = pid; self.input = input; self.output = output
    }

    static func spawn(_ command: BatchWorkerCommand) throws -> WorkerProcess {
        let exe = command.executable
        guard !exe.isEmpty else { throw BatchError(kind: .worker, file: "", reason: "no worker command") }
        spawnLock.lock()
        defer { spawnLock.unlock() }
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { throw BatchError(kind: .worker, file: exe, reason: "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&fromChild) == 0 else {
            closeFD(toChild[0]); closeFD(toChild[1])
            throw BatchError(kind: .worker, file: exe, reason: "pipe: \(String(cString: strerror(errno)))")
        }
        // close-on-exec (spawns are serialised by spawnLock), so no other worker inherits these ends:
        // EOF on a worker's stdout must mean that this worker is gone
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + command.arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        // the worker starts with default signal dispositions (we ignore SIGPIPE, and SIGINT while a batch runs)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attributes, argv, environ)
        closeFD(toChild[0])
        closeFD(fromChild[1])
        guard rc == 0 else {
            closeFD(toChild[1]); closeFD(fromChild[0])
            throw BatchError(kind: .worker, file: exe, reason: "cannot start a worker: \(String(cString: strerror(rc)))")
        }
        return WorkerProcess(pid: pid, input: toChild[1], output: fromChild[0])
    }

    /// Writes everything; false when the worker is gone.
    func send(_ data: Data) -> Bool {
        guard input >= 0 else { return false }
        return data.withUnsafeBytes { raw -> Bool in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = write(input, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                left -= n
                p = p.advanced(by: n)
            }
            return true
        }
    }

    /// The next line from the worker's stdout (without the newline), nil at EOF.
    func readLine() -> Data? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = buffer.firstIndex(of: 0x0a) {
                let line = Data(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
            if buffer.count > 64 << 20 { return nil }
        }
    }

    /// Closes our ends of the pipes (the worker sees EOF on its stdin and leaves).
    func close() {
        if input >= 0 { closeFD(input); input = -1 }
        if output >= 0 { closeFD(output); output = -1 }
    }

    /// Waits for the worker to end and describes how it ended.
    @discardableResult
    func reap() -> String {
        if let r = reaped { return r }
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, 0) } while rc < 0 && errno == EINTR
        let text: String
        if rc < 0 {
            text = "worker \(pid): waitpid failed: \(String(cString: strerror(errno)))"
        } else if status & 0x7f == 0 {
            text = "worker \(pid) exited with status \((status >> 8) & 0xff)"
        } else {
            let sig = status & 0x7f
            text = "worker \(pid) was killed by signal \(sig)\(sig == SIGKILL ? " (SIGKILL)" : sig == SIGSEGV ? " (SIGSEGV)" : sig == SIGABRT ? " (SIGABRT)" : "")"
        }
        reaped = text
        return text
    }
}

private func closeFD(_ fd: Int32) {
    _ = close(fd)
}
