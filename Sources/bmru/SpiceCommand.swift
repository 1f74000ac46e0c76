import ArgumentParser
import Foundation
import Ngspice

struct Spice: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run any SPICE deck in-process through libngspice and write vectors as CSV.",
        discussion: """
        The deck's .include/.lib tree is read by bmru (relative paths from the folder of the file that names \
        them) and handed to ngspice as one flat deck of circuit cards: .control blocks and *# lines are removed \
        and never run (a note on stderr says so), *ng_script decks and unknown dot cards are refused (exit 2).

        --vector takes v(node) / i(vsource) or ngspice's own names (node, vsource#branch). The CSV header \
        keeps ngspice's vector names as its raw file shows them: the scale (time), v(node) for node voltages, \
        i(vsource) for branch currents, e.g. time,v(s_cell_0),i(vdd_bias).
        """)

    @Argument(help: "The SPICE deck.") var deck: String
    @Option(name: .customLong("vector"), help: "A vector to write, e.g. v(s_cell_0) or i(vdd_bias) (repeatable); default: all of the plot.")
    var vectors: [String] = []
    @Option(name: .output(alias: "csv"), help: ArgumentHelp("Write the CSV here instead of standard output.", valueName: "FILE.csv")) var csv: String?
    @Option(help: "Wall-clock limit for the analysis, seconds.") var timeout: Double = 600
    @Option(help: "Run the deck this many times in this process; print per-run time and resident memory on stderr.")
    var `repeat`: Int = 1
    @Option(help: .hidden) var then: [String] = []
    @Option(help: "OpenMP threads for ngspice's device evaluation (1...64); more than 1 pays only on an otherwise idle machine.") var threads: Int = 1

    /// Decks given with --then run after the first in the same process (used to check recovery after errors).
    func runFollowers() throws {
        for extra in then {
            let path = ModelFiles.absolute(extra)
            let t = try CLI.readText(path, what: "deck")
            do {
                let r = try Simulator.shared.run(SimulationRequest(deck: t, timeout: timeout, source: path))
                CLI.stderr("then \(extra): ok \(r.vectors.count) vectors")
            } catch {
                CLI.stderr("then \(extra): error: \(error)")
            }
        }
    }

    func run() throws {
        try CLI.guarded {
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            let deckPath = ModelFiles.absolute(deck)
            let text = try CLI.readText(deckPath, what: "deck")
            let out = csv.map(ModelFiles.absolute)
            guard (1...64).contains(threads) else { throw UsageFailure("--threads: must be in 1...64") }
            var request = SimulationRequest(deck: text, vectors: vectors.isEmpty ? nil : vectors, timeout: timeout,
                                            source: deckPath)
            request.threads = threads
            var result: SimulationResult
            do {
                let rssStart = ResidentMemory.kilobytes()
                let start = Date()
                result = try Simulator.shared.run(request)
                for note in result.removed { CLI.stderr("note: \(note)") }
                let rssFirst = ResidentMemory.kilobytes()
                var loadTotal = result.loadSeconds, analysisTotal = result.analysisSeconds
                for _ in 1..<max(`repeat`, 1) {
                    result = try Simulator.shared.run(request)
                    loadTotal += result.loadSeconds
                    analysisTotal += result.analysisSeconds
                }
                if `repeat` > 1 {
                    let perRun = Date().timeIntervalSince(start) / Double(`repeat`)
                    CLI.stderr("runs=\(`repeat`) seconds_per_run=\(perRun) load_s=\(loadTotal / Double(`repeat`)) analysis_s=\(analysisTotal / Double(`repeat`)) rss_kb_start=\(rssStart) rss_kb_after_first=\(rssFirst) rss_kb_end=\(ResidentMemory.kilobytes())")
                }
                try runFollowers()
            } catch let e as SimulationError {
                try runFollowers()
                // a refused deck's message names the file and line itself
                throw UsageFailure(e.kind == .refused || e.kind == .missingFile ? "\(e.message)" : "\(deckPath): \(e)")
            }
            let table = VectorTable.csv(result, order: vectors)
            if let out {
                try CLI.writeAtomically(Data(table.utf8), to: out, option: OutputOption.label)
            } else {
                FileHandle.standardOutput.write(Data(table.utf8))
            }
        }
    }
}

enum VectorTable {
    /// CSV with a header row: the scale first, then the requested vectors in the order asked
    /// (or all vectors alphabetically). The header keeps ngspice's names as its raw file and `print` show them:
    /// `v(node)` for a node voltage, `i(source)` for a branch current, the scale (`time`) and other vectors
    /// (device parameters such as `@m1[id]`, noise spectra) as they are.
    static func csv(_ r: SimulationResult, order: [String]) -> String {
        var names: [String] = []
        if r.vectors[r.scaleName] != nil { names.append(r.scaleName) }
        if order.isEmpty {
            names += r.vectorNames.filter { $0 != r.scaleName }
        } else {
            for o in order {
                if let key = r.key(o), !names.contains(key) { names.append(key) }
            }
        }
        let columns = names.map { r.vectors[$0] ?? [] }
        let rows = columns.map(\.count).max() ?? 0
        var s = names.map { header($0, scale: r.scaleName) }.joined(separator: ",") + "\n"
        for i in 0..<rows {
            s += columns.map { i < $0.count ? "\($0[i])" : "" }.joined(separator: ",")
            s += "\n"
        }
        return s
    }

    /// ngspice's vector key as the raw file names it: `a` -> `v(a)`, `v1#branch` -> `i(v1)`.
    static func header(_ key: String, scale: String) -> String {
        if key == scale { return key }
        if key.hasSuffix("#branch") { return "i(\(key.dropLast("#branch".count)))" }
        let special = ["(", "@", "[", "#"].contains { key.contains($0) }
        if special || key.hasPrefix("onoise") || key.hasPrefix("inoise") { return key }
        return "v(\(key))"
    }
}

enum ResidentMemory {
    /// VmRSS of this process in kB (Linux), 0 where unknown.
    static func kilobytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
