import Foundation

// Plain values describing a simulation and its outcome, independent of what runs them
// (the in-process libngspice Simulator or a worker process).

/// What to simulate: a complete SPICE deck (title line first, `.end` last) whose analysis card
/// (`.tran`, `.dc`, `.op`) says what to run. The deck never reaches ngspice as written: `DeckFlattener`
/// resolves its includes and removes every command (`.control` blocks, `*#` lines) first.
public struct SimulationRequest: Sendable, Codable, Equatable {
    public var deck: String
    /// the file the deck was read from: errors name it, and relative `.include` / `.lib` paths resolve from
    /// its folder; nil for deck text of no file (relative paths then resolve from the current directory)
    public var source: String?
    /// vectors to return (names as ngspice lists them or as `v(node)` / `i(source)`); nil = every vector
    public var vectors: [String]?
    /// wall-clock limit for the analysis, seconds
    public var timeout: Double
    /// write the whole plot (every vector, every time point) to this ngspice raw file after the analysis; nil: none.
    /// The path goes to ngspice's `write` unquoted: `Simulator.isSafeRawFile` must hold.
    public var rawFile: String? = nil
    /// OpenMP threads ngspice may use for this run's device evaluation (1...64); nil: 1. More than one pays
    /// only when this is the one simulation on an otherwise idle machine (batches run one per process).
    public var threads: Int? = nil

    public init(deck: String, vectors: [String]? = nil, timeout: Double = 600, source: String? = nil) {
        self.deck = deck
        self.source = source
        self.vectors = vectors
        self.timeout = timeout
    }
}

/// What came back: the vectors of the plot the analysis created, and ngspice's messages.
public struct SimulationResult: Sendable, Codable, Equatable {
    /// ngspice's plot name, e.g. `tran1`
    public var plotName: String
    /// name of the scale vector (`time`, a sweep variable, ...) or "" for an operating point
    public var scaleName: String
    /// lower-case ngspice vector names (`time`, `s_cell1_0`, `vo_out_0_p#branch`) -> real values
    public var vectors: [String: [Double]]
    /// every line ngspice printed during this run, prefixed `stdout ` or `stderr ` as ngspice does
    public var log: [String]
    /// wall-clock seconds spent in the analysis (excluding parsing)
    public var analysisSeconds: Double
    /// wall-clock seconds spent loading (parsing) the deck
    public var loadSeconds: Double
    /// what the deck held that was removed and not run (`.control` blocks, `*#` lines), one sentence each
    public var removed: [String] = []

    public init(plotName: String, scaleName: String, vectors: [String: [Double]], log: [String],
                analysisSeconds: Double = 0, loadSeconds: Double = 0) {
        self.plotName = plotName
        self.scaleName = scaleName
        self.vectors = vectors
        self.log = log
        self.analysisSeconds = analysisSeconds
        self.loadSeconds = loadSeconds
    }

    /// Vector names in a stable order: the scale first, then alphabetical.
    public var vectorNames: [String] {
        let rest = vectors.keys.filter { $0 != scaleName }.sorted()
        return vectors[scaleName] == nil ? rest : [scaleName] + rest
    }

    /// Looks a vector up by its ngspice name or by SPICE probe syntax, case-insensitively:
    /// `v(node)` finds `node`, `i(vsrc)` finds `vsrc#branch`.
    public func vector(_ name: String) -> [Double]? {
        key(name).flatMap { vectors[$0] }
    }

    /// The key in `vectors` that `vector(name)` reads (nil when there is none).
    public func key(_ name: String) -> String? {
        VectorName.candidates(name).first { vectors[$0] != nil }
    }
}

enum VectorName {
    /// ngspice names a probe may correspond to, most specific first.
    static func candidates(_ raw: String) -> [String] {
        let name = raw.lowercased().trimmingCharacters(in: .whitespaces)
        var out = [name]
        if name.hasPrefix("v("), name.hasSuffix(")") {
            out.append(String(name.dropFirst(2).dropLast()))
        } else if name.hasPrefix("i("), name.hasSuffix(")") {
            out.append(String(name.dropFirst(2).dropLast()) + "#branch")
        } else if !name.contains("#") {
            out.append(name + "#branch")
        }
        return out
    }
}

/// Why a simulation failed. `lines` holds ngspice's own words.
public struct SimulationError: Error, CustomStringConvertible, Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// the deck could not be parsed (syntax, unknown subcircuit, bad card)
        case parse
        /// a device names a model ngspice cannot find
        case model
        /// an `.include`/`.lib` file is missing or unreadable
        case missingFile
        /// the analysis did not converge (timestep too small, singular matrix, ...)
        case convergence
        /// the wall-clock limit was reached; the run was halted
        case timeout
        /// ngspice asked to exit; the library is unusable for the rest of this process
        case controlledExit
        /// libngspice could not be initialised or was poisoned by an earlier controlled exit
        case unavailable
        /// the analysis produced no new plot or a requested vector is missing
        case noResult
        /// the deck was refused before ngspice saw it (a script, a card that is not passed on, a bad include);
        /// the message names the file and line (`DeckError`)
        case refused
    }

    public var kind: Kind
    public var message: String
    public var lines: [String]

    public init(kind: Kind, message: String, lines: [String] = []) {
        self.kind = kind
        self.message = message
        self.lines = lines
    }

    public var description: String {
        let evidence = lines.prefix(8).joined(separator: " | ")
        return evidence.isEmpty ? "\(kind.rawValue): \(message)" : "\(kind.rawValue): \(message): \(evidence)"
    }
}
