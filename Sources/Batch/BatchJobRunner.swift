import BMRUModel
import CoSim
import Characterization
import Foundation
import Netlist
import Ngspice

/// Why a job has no agreement report.
public struct BatchJobError: Codable, Equatable, Sendable {
    /// "input" (network/stimulus files), "netlist", "simulation", "probe", "worker" (the worker died or hung)
    public var kind: String
    public var message: String
    /// evidence: ngspice's own lines, or the worker's exit
    public var lines: [String]
    public init(kind: String, message: String, lines: [String] = []) {
        self.kind = kind; self.message = message; self.lines = lines
    }
}

/// The content of `DIR/jobs/<id>/result.json`: the job's parameters and its outcome.
public struct BatchJobResult: Codable, Equatable, Sendable {
    public var format = "bmru-batch-job"
    public var version = 1
    public var job: BatchJob
    /// "ok": simulated and compared (see `pass`); "failed": no report (see `error`)
    public var status: String
    /// the agreement report passed (false for failed jobs)
    public var pass: Bool
    /// the job's report.json, when status is "ok"
    public var report: AgreementReport?
    public var error: BatchJobError?
    /// how many workers tried this job
    public var attempts: Int

    public init(job: BatchJob, status: String, pass: Bool, report: AgreementReport?, error: BatchJobError?, attempts: Int) {
        self.job = job; self.status = status; self.pass = pass; self.report = report; self.error = error; self.attempts = attempts
    }

    public func json() throws -> Data {
        try ReportJSON.encode(self)
    }

    public static func decode(_ data: Data) throws -> BatchJobResult {
        try ReportJSON.decode(BatchJobResult.self, from: data)
    }
}

/// What a worker answers for one job (one JSON line on its stdout).
public struct BatchWorkerAnswer: Codable, Equatable, Sendable {
    public var id: String
    /// "ok" / "failed": the result is on disk; "poisoned": ngspice asked to exit, nothing was written, the worker
    /// stops and the job should be retried on a fresh worker; "io-error": the job's folder could not be written
    /// (error.message: the errno reason, error.lines[0]: the path) — the batch stops, nothing is recorded
    public var status: String
    public var pass: Bool
    public var seconds: Double
    public var error: BatchJobError?
    public init(id: String, status: String, pass: Bool, seconds: Double, error: BatchJobError?) {
        self.id = id; self.status = status; self.pass = pass; self.seconds = seconds; self.error = error
    }
}

/// What the pool sends a worker (one JSON line on its stdin).
public struct BatchWorkerRequest: Codable, Equatable, Sendable {
    public var job: BatchJob
    /// DIR/jobs
    public var jobs_directory: String
    public var attempt: Int
    public init(job: BatchJob, jobs_directory: String, attempt: Int) {
        self.job = job; self.jobs_directory = jobs_directory; self.attempt = attempt
    }
}

/// Runs one job in this process (through `Simulator.shared`) and writes its folder atomically.
public enum BatchJobRunner {
    /// the library is unusable for the rest of this process (ngspice asked to exit)
    public struct Poisoned: Error, Sendable {
        public var error: BatchJobError
    }

    /// Every file of a job goes into `DIR/jobs/.tmp-<id>-<pid>` first; the folder is then renamed to
    /// `DIR/jobs/<id>` in one step, so a job folder is either complete or absent.
    public static func temporaryPrefix(_ id: String) -> String { ".tmp-\(id)-" }

    public static func resultPath(jobsDirectory: String, id: String) -> String {
        jobsDirectory + "/" + id + "/result.json"
    }

    /// The finished result of a job, or nil when there is none (or it cannot be read).
    public static func readResult(jobsDirectory: String, id: String) -> BatchJobResult? {
        guard let data = FileManager.default.contents(atPath: resultPath(jobsDirectory: jobsDirectory, id: id)) else { return nil }
        guard let r = try? BatchJobResult.decode(data), r.job.id == id else { return nil }
        return r
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var networkCache: [String: Network] = [:]
    nonisolated(unsafe) private static var stimulusCache: [String: Stimulus] = [:]
    nonisolated(unsafe) private static var calibrationCache: [String: CalibrationFile] = [:]

    /// The job's calibration tables, checked to be the content the job was made from.
    static func calibration(_ job: BatchJob, corner: Corner) throws -> CalibrationFile? {
        guard let c = job.calibration else { return nil }
        cacheLock.lock()
        defer { cacheLock.unlock() }
        let key = c.path + "#" + c.sha256 + "#" + job.models_directory
        if let f = calibrationCache[key] { return f }
        guard let bytes = FileManager.default.contents(atPath: c.path) else {
            throw CoSimError(kind: .input, message: "calibration file \(c.path) is not readable")
        }
        guard SHA256.hex(bytes) == c.sha256 else {
            throw CoSimError(kind: .input, message: "calibration file \(c.path) changed since the manifest was expanded")
        }
        let file: CalibrationFile
        do {
            file = try CalibrationFile.load(path: c.path, modelsDirectory: job.models_directory, corner: corner)
        } catch {
            throw CoSimError(kind: .input, message: "calibration file \(c.path): \(error)")
        }
        if calibrationCache.count > 16 { calibrationCache.removeAll() }
        calibrationCache[key] = file
        return file
    }

    /// Loads the job's network and stimulus, checking that the files still have the content the job was made from.
    static func inputs(_ job: BatchJob) throws -> (Network, Stimulus) {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        let netKey = job.network_path + "#" + job.network_sha256
        let network: Network
        if let n = networkCache[netKey] {
            network = n
        } else {
            guard let bytes = FileManager.default.contents(atPath: job.network_path) else {
                throw CoSimError(kind: .input, message: "network file \(job.network_path) is not readable")
            }
            guard SHA256.hex(bytes) == job.network_sha256 else {
                throw CoSimError(kind: .input, message: "network file \(job.network_path) changed since the manifest was expanded")
            }
            network = try NetworkFile.decode(bytes, file: job.network_path)
            if networkCache.count > 64 { networkCache.removeAll() }
            networkCache[netKey] = network
        }
        let s = job.stimulus
        let stimKey = "\(job.network_sha256)#\(s.kind)#\(s.path ?? "")#\(s.sha256 ?? "")#\(s.frames ?? 0)#\(s.seed ?? 0)#\(s.density ?? 0)"
        if let st = stimulusCache[stimKey] { return (network, st) }
        let stimulus: Stimulus
        if s.kind == "random" {
            stimulus = StimulusFile.random(inputs: network.inputs, frames: s.frames ?? 1, seed: UInt64(max(s.seed ?? 0, 0)),
                                           density: s.density ?? 0)
        } else {
            guard let path = s.path, let bytes = FileManager.default.contents(atPath: path) else {
                throw CoSimError(kind: .input, message: "stimulus file \(s.path ?? "?") is not readable")
            }
            guard SHA256.hex(bytes) == s.sha256 else {
                throw CoSimError(kind: .input, message: "stimulus file \(path) changed since the manifest was expanded")
            }
            stimulus = try StimulusFile.parse(bytes, file: path, inputs: network.inputs)
        }
        if stimulusCache.count > 256 { stimulusCache.removeAll() }
        stimulusCache[stimKey] = stimulus
        return (network, stimulus)
    }

    public static func options(for job: BatchJob, network: Network) throws -> CoSimOptions {
        var o = CoSimOptions(modelsDirectory: job.models_directory)
        guard let corner = Corner(rawValue: job.corner) else {
            throw CoSimError(kind: .input, message: "unknown corner \(job.corner)")
        }
        o.corner = corner
        o.vdd = job.vdd
        o.temperature = job.temperature_c
        o.margin = job.thresholds.margin
        o.decisionMargin = job.thresholds.decision_margin
        o.requiredStateAgreement = job.thresholds.required_state_agreement
        o.requireDecisionAgreement = job.thresholds.require_decision_agreement
        o.timeout = job.timeout_s
        o.networkFile = job.network_path
        o.networkSHA256 = job.network_sha256
        o.inputNoise = job.inputNoise
        o.calibration = try calibration(job, corner: corner)
        if job.mismatch_shared == true, let seed = job.mismatch_seed {
            guard let cal = o.calibration else {
                throw CoSimError(kind: .input, message: "a shared mismatch sample needs calibration tables (the job has none)")
            }
            o.mismatchSample = MismatchSample(seed: seed, nmosAVT: cal.devices.nmosAVT, pmosAVT: cal.devices.pmosAVT)
        } else {
            o.mismatchSeed = job.mismatch_seed
        }
        // the deck's own .control block (ngspice -b deck.sp inside the job folder) writes deck.raw beside it
        o.rawPath = "deck.raw"
        return o
    }

    /// Runs the job and writes `DIR/jobs/<id>/`. A failure of the job itself (bad input, ngspice error) is a
    /// "failed" result written like any other; only a poisoned library throws (`Poisoned`), writing nothing.
    public static func run(_ job: BatchJob, jobsDirectory: String, attempt: Int) throws -> BatchJobResult {
        var outcome: CoSimOutcome?
        var failure: BatchJobError?
        do {
            let (network, stimulus) = try inputs(job)
            var options = try options(for: job, network: network)
            if let sample = options.mismatchSample, let cal = options.calibration {
                // judged against the circuit-aware model of the same sample, on the stimulus the deck is driven with
                let model = try CircuitAwareModel(network: network, options: CircuitAwareOptions(
                    calibration: cal, calibratedDeck: true, mismatch: sample, modelsDirectory: job.models_directory,
                    vdd: job.vdd, temperature: job.temperature_c), stimulus: CoSimulation.simulatedStimulus(stimulus, options: options))
                options.behaviouralModel = { model.run($0) }
                options.behaviouralModelName = "circuit_aware"
            }
            let started = Date()
            let (deck, request) = try CoSimulation.prepare(network: network, stimulus: stimulus, options: options)
            let result: SimulationResult
            do {
                result = try Simulator.shared.run(request)
            } catch let e as SimulationError {
                if e.kind == .controlledExit || e.kind == .unavailable {
                    throw Poisoned(error: BatchJobError(kind: "simulation", message: "ngspice failed (\(e.kind.rawValue)): \(e.message)", lines: e.lines))
                }
                throw CoSimError(kind: .simulation, message: "ngspice failed (\(e.kind.rawValue)): \(e.message)", lines: e.lines)
            }
            outcome = try CoSimulation.analyse(network: network, stimulus: stimulus, deck: deck, result: result,
                                               options: options, started: started)
        } catch let p as Poisoned {
            throw p
        } catch let e as CoSimError {
            failure = BatchJobError(kind: e.kind.rawValue, message: e.message, lines: e.lines)
        } catch {
            failure = BatchJobError(kind: "input", message: "\(error)")
        }
        let result = BatchJobResult(job: job, status: outcome == nil ? "failed" : "ok", pass: outcome?.report.pass ?? false,
                                    report: outcome?.report, error: failure, attempts: attempt)
        try commit(result, outcome: outcome, jobsDirectory: jobsDirectory)
        return result
    }

    /// Writes a job folder atomically (temporary folder, then one rename). When the folder already exists
    /// (an earlier attempt finished after all), the existing one is kept.
    public static func commit(_ result: BatchJobResult, outcome: CoSimOutcome?, jobsDirectory: String) throws {
        let fm = FileManager.default
        let final = jobsDirectory + "/" + result.job.id
        let tmp = jobsDirectory + "/" + temporaryPrefix(result.job.id) + "\(getpid())"
        do {
            try FileOutput.makeDirectory(jobsDirectory)
            try? fm.removeItem(atPath: tmp)
            if mkdir(tmp, 0o755) != 0 {
                throw FormatError(file: tmp, field: "", reason: "cannot create the folder: \(FileOutput.reason(errno))", kind: .io)
            }
            if let o = outcome {
                try ReportWriter.writeFiles(o, into: tmp)
            }
            if let e = result.error {
                let log = ([e.message] + e.lines).joined(separator: "\n") + "\n"
                try FileOutput.write(Data(log.utf8), to: tmp + "/error.log")
            }
            try FileOutput.write(try result.json(), to: tmp + "/result.json")
        } catch let e as FormatError {
            try? fm.removeItem(atPath: tmp)
            throw BatchError(kind: .output, file: e.file, reason: e.reason)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw BatchError(kind: .output, file: tmp, reason: "cannot write the job's files: \(error)")
        }
        if rename(tmp, final) != 0 {
            let code = errno
            try? fm.removeItem(atPath: tmp)
            if (code == ENOTEMPTY || code == EEXIST), readResult(jobsDirectory: jobsDirectory, id: result.job.id) != nil {
                return
            }
            throw BatchError(kind: .output, file: final, reason: "cannot rename the job folder into place: \(String(cString: strerror(code)))")
        }
    }
}
