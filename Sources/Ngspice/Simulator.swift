import CNgspice
import Foundation

// libngspice is one global, non-reentrant instance per process. `Simulator.shared` owns it: every call
// takes `runLock`, so runs from several threads queue up instead of corrupting ngspice's state.
// Parallel simulation comes from several processes, each with its own Simulator.

/// The in-process ngspice simulator (libngspice through the CNgspice module map).
public final class Simulator: @unchecked Sendable {
    public static let shared = Simulator()

    private let runLock = NSLock()
    private var initialised = false
    private var poisoned: SimulationError?

    private init() {}

    /// ngspice's version line as the library reports it (e.g. "ngspice-39 ...").
    public func version() throws -> String {
        runLock.lock()
        defer { runLock.unlock() }
        try ready()
        CallbackHub.shared.beginRun()
        _ = command("version -s")
        let lines = CallbackHub.shared.endRun()
        let text = lines.map(VersionText.strip).filter { $0.lowercased().contains("ngspice") }
        return text.first ?? lines.map(VersionText.strip).joined(separator: " ")
    }

    /// Loads the request's deck, runs its analysis and returns the new plot's vectors.
    /// The deck is flattened first (`DeckFlattener`): ngspice gets circuit cards only and reads no file.
    /// A refused deck throws `SimulationError` of kind `.refused` (or `.missingFile` for a missing include).
    public func run(_ request: SimulationRequest) throws -> SimulationResult {
        let flattenStart = Date()
        let flat: FlatDeck
        do {
            let folder = request.source.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
                ?? FileManager.default.currentDirectoryPath
            flat = try DeckFlattener.flatten(text: request.deck, baseDirectory: folder, name: request.source ?? "")
        } catch let e as DeckError {
            throw SimulationError(kind: e.kind == .missingFile ? .missingFile : .refused, message: e.description)
        }
        let flattenSeconds = Date().timeIntervalSince(flattenStart)
        runLock.lock()
        defer { runLock.unlock() }
        try ready()
        let hub = CallbackHub.shared
        hub.beginRun()
        clearCircuits()
        _ = hub.endRun()  // what cleaning up printed is not this run's business

        hub.beginRun()
        let loadStart = Date()
        let plotsBefore = Set(allPlots())
        // read by ngspice when the circuit is set up: every run says its own count
        _ = command("set num_threads=\(min(max(request.threads ?? 1, 1), 64))")
        let rc = loadCircuit(flat.lines)
        // loading includes reading and flattening the include tree in Swift
        let loadSeconds = Date().timeIntervalSince(loadStart) + flattenSeconds
        if rc != 0 || hub.exited {
            throw poison(flat.redact(hub.endRun(), thorough: true))
        }
        if var err = DiagnosticClassifier.loadError(hub.snapshot()) {
            _ = hub.endRun()
            clearCircuits()
            err.lines = flat.redact(err.lines, thorough: true)
            throw err
        }

        // Run the analysis in ngspice's background thread so a wall-clock limit can halt it.
        let analysisStart = Date()
        let endedBefore = hub.endedCount
        _ = command("bg_run")
        let finished = hub.waitForBackgroundEnd(after: endedBefore, timeout: request.timeout)
        if !finished {
            _ = command("bg_halt")
            _ = hub.waitForBackgroundEnd(after: endedBefore, timeout: 30)
            let log = hub.endRun()
            clearCircuits()
            throw SimulationError(kind: .timeout,
                                  message: "analysis exceeded the wall-clock limit of \(request.timeout) s and was halted",
                                  lines: flat.redact(Array(log.suffix(8)), thorough: true))
        }
        let analysisSeconds = Date().timeIntervalSince(analysisStart)
        if hub.exited {
            throw poison(flat.redact(hub.endRun(), thorough: true))
        }
        if var err = DiagnosticClassifier.runError(hub.snapshot()) {
            _ = hub.endRun()
            clearCircuits()
            err.lines = flat.redact(err.lines, thorough: true)
            throw err
        }
        let plot = currentPlot()
        guard !plot.isEmpty, plot != "const", !plotsBefore.contains(plot) else {
            let log = hub.endRun()
            clearCircuits()
            throw SimulationError(kind: .noResult, message: "the analysis created no new plot (is there a .tran, .dc or .op card?)",
                                  lines: flat.redact(Array(log.suffix(8)), thorough: true))
        }
        var vectors: [String: [Double]] = [:]
        for name in vectorNames(of: plot) {
            vectors[name.lowercased()] = readVector(plot: plot, name: name)
        }
        let scale = ScaleName.guess(Array(vectors.keys))
        if let raw = request.rawFile {
            guard Self.isSafeRawFile(raw) else {
                _ = hub.endRun(); clearCircuits()
                throw SimulationError(kind: .refused, message: "raw file path \(raw) cannot be given to ngspice's write (spaces, quotes, control or shell characters)")
            }
            try? FileManager.default.removeItem(atPath: raw)
            _ = command("write \(raw)")
            guard FileManager.default.fileExists(atPath: raw) else {
                let log = hub.endRun(); clearCircuits()
                throw SimulationError(kind: .noResult, message: "ngspice did not write the raw file \(raw)", lines: flat.redact(Array(log.suffix(8)), thorough: true))
            }
        }
        let log = hub.endRun()
        clearCircuits()

        var result = SimulationResult(plotName: plot, scaleName: scale, vectors: vectors, log: flat.redact(log),
                                      analysisSeconds: analysisSeconds, loadSeconds: loadSeconds)
        result.removed = flat.removed
        if let wanted = request.vectors {
            var picked: [String: [Double]] = [:]
            if let s = vectors[scale] { picked[scale] = s }
            for w in wanted {
                guard let key = VectorName.candidates(w).first(where: { vectors[$0] != nil }) else {
                    throw SimulationError(kind: .noResult, message: "vector '\(w)' is not in plot \(plot)",
                                          lines: ["available: " + result.vectorNames.joined(separator: " ")])
                }
                picked[key] = vectors[key]
            }
            result.vectors = picked
        }
        return result
    }

    // MARK: - ngspice plumbing (always called with runLock held)

    private func ready() throws {
        if let p = poisoned { throw p }
        if initialised { return }
        setlocale(LC_NUMERIC, "C")
        // Keep stray .spiceinit files out: ngspice reads one from $HOME (and the working directory).
        let isolation = NSTemporaryDirectory() + "bmru-ngspice-home-\(getpid())"
        try? FileManager.default.createDirectory(atPath: isolation, withIntermediateDirectories: true)
        let oldHome = getenv("HOME").map { String(cString: $0) }
        setenv("HOME", isolation, 1)
        var movedDir: String?
        if FileManager.default.fileExists(atPath: ".spiceinit") {
            movedDir = FileManager.default.currentDirectoryPath
            _ = FileManager.default.changeCurrentDirectoryPath(isolation)
        }
        let rc = ngSpice_Init(ngBridgeSendChar, ngBridgeSendStat, ngBridgeControlledExit,
                              nil, nil, ngBridgeBackgroundRunning, nil)
        if let dir = movedDir { _ = FileManager.default.changeCurrentDirectoryPath(dir) }
        if let h = oldHome { setenv("HOME", h, 1) } else { unsetenv("HOME") }
        if rc != 0 {
            let err = SimulationError(kind: .unavailable, message: "ngSpice_Init returned \(rc)")
            poisoned = err
            throw err
        }
        initialised = true
        CallbackHub.shared.beginRun()
        _ = command("set nomoremode")
        // Debian's libngspice evaluates BSIM4 devices with OpenMP threads (2 by default). Our circuits are
        // small and parallelism comes from processes; on a busy machine the spinning OpenMP workers made a
        // 2 ms mirror transient take 0.5-6 s instead of 3 ms. One thread per process.
        _ = command("set num_threads=1")
        _ = CallbackHub.shared.endRun()
    }

    private func poison(_ log: [String]) -> SimulationError {
        let err = SimulationError(
            kind: .controlledExit,
            message: "ngspice requested exit (status \(CallbackHub.shared.exitStatus)); the library cannot be used again in this process",
            lines: Array(log.suffix(8)))
        poisoned = err
        return err
    }

    @discardableResult
    /// A path ngspice's `write` takes unquoted: absolute, no whitespace, quotes, control or shell characters.
    public static func isSafeRawFile(_ s: String) -> Bool {
        s.hasPrefix("/") && s.utf8.count < 1024 && !s.unicodeScalars.contains { c in
            c.value <= 0x20 || c.value == 0x7f || "\"'`;$\\|&<>(){}*?!#~".unicodeScalars.contains(c)
        }
    }

    private func command(_ text: String) -> Int32 {
        text.withCString { ptr in ngSpice_Command(UnsafeMutablePointer(mutating: ptr)) }
    }

    /// Removes every circuit and plot so memory stays flat over thousands of runs and a failed
    /// load can never leave an old circuit behind for `run` to simulate again.
    private func clearCircuits() {
        // Every load goes through here before the next one, so at most one circuit exists; `remcirc`
        // with none loaded only prints an error into the discarded cleanup log.
        command("destroy all")
        command("remcirc")
        _ = ngSpice_Command(nil)
    }

    private func loadCircuit(_ lines: [String]) -> Int32 {
        var pointers: [UnsafeMutablePointer<CChar>?] = lines.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeMutableBufferPointer { buf in ngSpice_Circ(buf.baseAddress) }
    }

    private func currentPlot() -> String {
        guard let p = ngSpice_CurPlot() else { return "" }
        return String(cString: p)
    }

    private func allPlots() -> [String] {
        CStringList.read(ngSpice_AllPlots())
    }

    private func vectorNames(of plot: String) -> [String] {
        plot.withCString { CStringList.read(ngSpice_AllVecs(UnsafeMutablePointer(mutating: $0))) }
    }

    private func readVector(plot: String, name: String) -> [Double] {
        let full = plot + "." + name
        return full.withCString { ptr -> [Double] in
            guard let info = ngGet_Vec_Info(UnsafeMutablePointer(mutating: ptr)) else { return [] }
            let n = Int(info.pointee.v_length)
            if n <= 0 { return [] }
            if let real = info.pointee.v_realdata {
                return Array(UnsafeBufferPointer(start: real, count: n))
            }
            if let comp = info.pointee.v_compdata {
                return (0..<n).map { comp[$0].cx_real }
            }
            return []
        }
    }
}

enum CStringList {
    static func read(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var out: [String] = []
        var i = 0
        while let p = list[i] {
            out.append(String(cString: p))
            i += 1
        }
        return out
    }
}

enum VersionText {
    static func strip(_ line: String) -> String {
        for prefix in ["stdout ", "stderr "] where line.hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "* \t"))
        }
        return line.trimmingCharacters(in: .whitespaces)
    }
}

enum ScaleName {
    static func guess(_ names: [String]) -> String {
        for s in ["time", "frequency", "v-sweep", "i-sweep", "temp-sweep", "res-sweep"] where names.contains(s) {
            return s
        }
        return names.first(where: { $0.hasSuffix("-sweep") }) ?? ""
    }
}
