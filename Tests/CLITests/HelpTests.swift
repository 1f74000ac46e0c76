// `bmru <cmd> --help` for every registered subcommand (nested ones and hidden ones too, from ArgumentParser's
// own dump of the command tree): exit 0, the command's usage line, and no broken wrap. ArgumentParser re-wraps
// each hard line of a `discussion:` (and of an option's help) to 80 columns, so a paragraph written with hard
// newlines in the middle of a sentence comes out as a full line, then a short stub, then the next line.
import Foundation
import TestSupport
import Testing

@Suite("bmru --help renders for every subcommand")
struct HelpTests {
    /// Every command path under `bmru` that ArgumentParser knows (hidden ones included), except `help` itself.
    static func commandPaths() throws -> [[String]] {
        let r = try BMRU.run(["--experimental-dump-help"])
        guard r.status == 0, let root = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let command = root["command"] as? [String: Any] else {
            throw HelpDumpUnreadable(description: "bmru --experimental-dump-help: exit \(r.status), \(r.stderr.prefix(300))")
        }
        var paths: [[String]] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            for sub in c["subcommands"] as? [[String: Any]] ?? [] {
                guard let name = sub["commandName"] as? String, name != "help" else { continue }
                paths.append(path + [name])
                walk(sub, path + [name])
            }
        }
        walk(command, [])
        return paths
    }

    struct HelpDumpUnreadable: Error, CustomStringConvertible { var description: String }

    /// Lines of a help text that are broken wraps: a line shorter than half the width left after its indentation
    /// (80 columns), continued by a line of the same indentation (the same paragraph, or the same option's help)
    /// whose first word would have fitted on it (so the wrapper did not break there: a hard newline did), and
    /// that does not end a sentence (. : ! ?). A line of bracketed options only (`[--resume]`) is a wrapped
    /// command synopsis, not a sentence.
    static func brokenWraps(_ help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        var found: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !next.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let indent = line.prefix { $0 == " " }.count
            guard next.prefix(while: { $0 == " " }).count == indent, text.count < (80 - indent) / 2 else { continue }
            let nextWord = next.split(separator: " ").first.map(String.init) ?? ""
            guard indent + text.count + 1 + nextWord.count <= 80 else { continue }
            if let last = text.last, ".:!?".contains(last) { continue }
            if text.hasPrefix("[") && text.hasSuffix("]") { continue }
            found.append(line)
        }
        return found
    }

    @Test("the broken-wrap check finds the stubs of a paragraph written with hard newlines (positive control)")
    func checkerFindsStubs() {
        // `bmru netlist --help` as it rendered before its discussion was written as one paragraph
        let old = """
            Writes DECK.sp and DECK.mapping.json (every learned parameter, the element(s)
            realising it, the
            width or current given, and the realisation error). `ngspice -b DECK.sp` runs
            the deck alone and
            writes DECK.raw beside it. Same inputs -> byte-identical files.

            OPTIONS:
              --input <input>         Stimulus CSV; without it the inputs are 0 and the
                                      deck runs
                                      one frame.
              --vdd <vdd>             Supply voltage, V. (default: 1.8)
            """
        #expect(Self.brokenWraps(old) == ["realising it, the", "the deck alone and", "                          deck runs"])
        // the same text re-wrapped by hand has none
        let fixed = """
            Writes DECK.sp and DECK.mapping.json (every learned parameter, the element(s)
            realising it, the width or current given, and the realisation error).
            Same inputs -> byte-identical files.

            OPTIONS:
              --input <input>         Stimulus CSV; without it the inputs are 0 and the
                                      deck runs one frame.
              --vdd <vdd>             Supply voltage, V. (default: 1.8)
            """
        #expect(Self.brokenWraps(fixed).isEmpty, "\(Self.brokenWraps(fixed))")
        // a short line before a word too long to fit on it is the wrapper's own break, not a broken wrap
        let long = "  -o, --out <out>\n" + String(repeating: " ", count: 26) + "Output file (default\n"
            + String(repeating: " ", count: 26) + "models/calibration/<corner>/with/a/long/path.json).\n"
        #expect(Self.brokenWraps(long).isEmpty, "\(Self.brokenWraps(long))")
    }

    @Test("every subcommand's --help: exit 0, its usage line, no broken wrap")
    func everyHelp() throws {
        let paths = try Self.commandPaths()
        let names = Set(paths.map { $0.joined(separator: " ") })
        // the dump covers nested and hidden commands
        for expected in ["netlist", "cosim", "calibrate", "spice", "batch run", "batch merge", "batch-worker", "kws synth",
                         "kws features", "kws eval", "characterize cell", "characterize mirror", "train", "validate"] {
            #expect(names.contains(expected), "\(expected) missing from \(names.sorted())")
        }
        for path in paths {
            let r = try BMRU.run(path + ["--help"])
            let name = path.joined(separator: " ")
            #expect(r.status == 0, "bmru \(name) --help: exit \(r.status): \(r.stderr)")
            #expect(r.stdout.contains("USAGE: bmru \(name)"), "bmru \(name) --help has no usage line:\n\(r.stdout)")
            let broken = Self.brokenWraps(r.stdout)
            #expect(broken.isEmpty, "bmru \(name) --help has broken wraps: \(broken)\n\(r.stdout)")
        }
    }
}
