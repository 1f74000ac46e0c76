import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The loop of a batch worker process (`bmru batch-worker`, started by `BatchPool`): reads one job description
/// (`BatchWorkerRequest`) per line on stdin, runs it in-process, writes the job's folder atomically and answers
/// one JSON line (`BatchWorkerAnswer`) on stdout. The caller prints and picks the exit code from the `Ending`.
public enum BatchWorkerLoop {
    /// Why the loop stopped.
    public enum Ending {
        /// end of input: every job was answered
        case endOfInput
        /// a line that is no job description; nothing was answered for it
        case unreadableRequest
        /// a job failed in a way that is not a job result (not its folder, not a poisoned runner); nothing was answered
        case failed(jobID: String, error: Error)
        /// a job poisoned the runner: its answer is written, and this process must run no other job
        case poisoned
    }

    /// Runs jobs until EOF or an `Ending` other than `.endOfInput`. Throws only when an answer cannot be encoded.
    public static func run() throws -> Ending {
        // answers go to the original stdout; anything else that writes to fd 1 (a library printing) goes to stderr
        let answers = FileHandle(fileDescriptor: dup(1), closeOnDealloc: true)
        dup2(2, 1)
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        while let line = readLine(strippingNewline: true) {
            if line.isEmpty { continue }
            guard let request = try? decoder.decode(BatchWorkerRequest.self, from: Data(line.utf8)) else {
                return .unreadableRequest
            }
            let job = request.job
            let started = Date()
            var answer: BatchWorkerAnswer
            var poisoned = false
            do {
                let r = try BatchJobRunner.run(job, jobsDirectory: request.jobs_directory, attempt: request.attempt)
                answer = BatchWorkerAnswer(id: job.id, status: r.status, pass: r.pass, seconds: Date().timeIntervalSince(started), error: r.error)
            } catch let p as BatchJobRunner.Poisoned {
                answer = BatchWorkerAnswer(id: job.id, status: "poisoned", pass: false, seconds: Date().timeIntervalSince(started), error: p.error)
                poisoned = true
            } catch let e as BatchError where e.kind == .output {
                // the job's folder could not be written: the parent stops the batch (not a failure of the job)
                answer = BatchWorkerAnswer(id: job.id, status: "io-error", pass: false, seconds: Date().timeIntervalSince(started),
                                           error: BatchJobError(kind: "output", message: e.reason, lines: [e.file]))
            } catch {
                return .failed(jobID: job.id, error: error)
            }
            var data = try encoder.encode(answer)
            data.append(0x0a)
            answers.write(data)
            if poisoned { return .poisoned }
        }
        return .endOfInput
    }
}
