import Foundation

/// Reads ngspice's message lines and decides whether a load or a run failed, and why.
enum DiagnosticClassifier {
    /// While a deck loads, ngspice prints nothing on stderr for a good deck (checked with the GF180MCU
    /// library), so every stderr line that is not a warning or a note counts ("Too many parameters for
    /// subcircuit type ...", "Simulation interrupted due to error!", ...).
    static func loadError(_ log: [String]) -> SimulationError? {
        let bad = log.filter { line in
            let l = line.lowercased()
            guard l.hasPrefix("stderr") else { return false }
            let body = l.dropFirst("stderr".count).trimmingCharacters(in: .whitespaces)
            return !body.isEmpty && !body.hasPrefix("warning") && !body.hasPrefix("note")
        }
        guard !bad.isEmpty else { return nil }
        return SimulationError(kind: kind(of: bad, default: .parse), message: "ngspice could not load the deck", lines: bad)
    }

    static func runError(_ log: [String]) -> SimulationError? {
        let bad = log.filter(isErrorLine)
        guard !bad.isEmpty else { return nil }
        return SimulationError(kind: kind(of: bad, default: .convergence), message: "the analysis failed", lines: bad)
    }

    static func isErrorLine(_ line: String) -> Bool {
        let l = line.lowercased()
        guard l.hasPrefix("stderr") else { return false }
        let body = l.dropFirst("stderr".count).trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("warning") || body.hasPrefix("note") { return false }
        return body.hasPrefix("error") || body.contains(" error") || body.contains("fatal")
            || body.contains("timestep too small") || body.contains("aborted") || body.contains("singular matrix")
            || body.contains("iteration limit reached") || body.contains("stepping failed")
            || body.contains("could not find") || body.contains("unable to find") || body.contains("unknown")
            || body.contains("no circuit loaded") || body.contains("cannot")
    }

    static func kind(of lines: [String], default fallback: SimulationError.Kind) -> SimulationError.Kind {
        let text = lines.joined(separator: "\n").lowercased()
        if text.contains("include file") || text.contains("library file") || text.contains("no such file")
            || text.contains("cannot open") || text.contains("could not open") {
            return .missingFile
        }
        if text.contains("model") && (text.contains("unable to find") || text.contains("could not find")
            || text.contains("unknown model") || text.contains("no model")) {
            return .model
        }
        if text.contains("timestep too small") || text.contains("singular matrix") || text.contains("iteration limit")
            || text.contains("stepping failed") || text.contains("convergence") {
            return .convergence
        }
        return fallback
    }
}
