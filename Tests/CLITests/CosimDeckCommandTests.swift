// `bmru cosim` on the two-unit network: a broken circuit (an edited deck given with --deck) is caught, the
// emitted circuit and its unedited deck pass, a supplied deck's commands never run, bad input exits 2.
import BMRUModel
import CoSim
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import Testing

@Suite("bmru cosim command", .serialized)
struct CoSimCommandTests {
    func writeInputs(_ dir: String) throws {
        try NetworkFile.encode(twoUnitNetwork()).write(to: URL(fileURLWithPath: dir + "/net.json"))
        try StimulusFile.csv(Stimulus(frames: twoUnitFrames, inputs: 2)).write(toFile: dir + "/stim.csv", atomically: true, encoding: .utf8)
    }

    /// The deck `bmru netlist` writes for the two-unit network and stimulus.
    func emittedDeck(_ dir: String) throws -> String {
        let bmru = try TestEnvironment.bmruExecutable()
        let r = try TestEnvironment.run(bmru, ["netlist", dir + "/net.json", "--input", dir + "/stim.csv", "-o", dir + "/deck.sp",
                                               "--models", try TestEnvironment.modelsDirectory()])
        #expect(r.status == 0, "\(r.stderr)")
        return try String(contentsOfFile: dir + "/deck.sp", encoding: .utf8)
    }

    @Test("an edited deck whose threshold source is 50 % high is caught: exit 1, first divergence names the unit, reports parse")
    func brokenCircuitCaught() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("broken")
        try writeInputs(dir)
        // unit 0's upper threshold reference x1.5: the 1.0-unit inputs of frames 1 and 5 no longer set it
        // (θ_high 0.8 -> 1.2 units). The edit is made here, on the text, as a user would make it.
        var lines = try emittedDeck(dir).components(separatedBy: "\n")
        let k = try #require(lines.firstIndex { $0.hasPrefix("ith_cell_0 rth_cell_0 0 dc ") })
        let value = try #require(Double(lines[k].split(separator: " ").last.map(String.init) ?? ""))
        lines[k] = "ith_cell_0 rth_cell_0 0 dc \(value * 1.5)"
        try lines.joined(separator: "\n").write(toFile: dir + "/edited.sp", atomically: true, encoding: .utf8)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                                 "--deck", dir + "/edited.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        let report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json")))
        #expect(!report.pass)
        #expect(report.state_agreement < 0.995)
        #expect(report.conditions.deck_file == dir + "/edited.sp")
        let f = try #require(report.first_divergence)
        #expect(f.layer == "cell" && f.unit == 0 && f.frame == 1 && f.model_state == 1 && f.circuit_state == 0)
        // the report folder keeps the deck that ran
        #expect(try String(contentsOfFile: dir + "/r/deck.sp", encoding: .utf8).contains(lines[k]))
        // the JSON keeps its documented top-level keys
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json"))) as? [String: Any])
        for key in ["network", "frames", "units", "state_agreement", "ambiguous", "decision_agreement", "first_divergence",
                    "layers", "power_w", "thresholds", "pass"] {
            #expect(obj[key] != nil, "report.json lacks \(key)")
        }
        // JUnit XML parses and records the failure
        let xml = try Data(contentsOf: URL(fileURLWithPath: dir + "/r/junit.xml"))
        let counter = JUnitCounter()
        let parser = XMLParser(data: xml)
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.testcases >= 2 && counter.failures >= 1)
        for f in ["report.md", "report.html", "waveforms.csv", "deck.sp", "deck.mapping.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/r/" + f), "\(f) missing")
        }
    }

    @Test("the emitted circuit passes with exit 0, as its unedited deck given with --deck does")
    func healthyPasses() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("healthy")
        try writeInputs(dir)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                                 "--models", try TestEnvironment.modelsDirectory()])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("PASS"))
        _ = try emittedDeck(dir)
        let given = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r2",
                                                   "--deck", dir + "/deck.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(given.status == 0, "\(given.stdout)\n\(given.stderr)")
        #expect(given.stdout.contains("supplied: " + dir + "/deck.sp"), "\(given.stdout)")
    }

    @Test("a supplied deck's commands never run: its .control block is dropped (the plain ngspice CLI runs it)")
    func suppliedDeckCommands() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("supplied")
        try writeInputs(dir)
        let marker = dir + "/pwned"
        let evil = try emittedDeck(dir).replacingOccurrences(of: ".control\n", with: ".control\nshell touch \(marker)\n")
        try evil.write(toFile: dir + "/evil.sp", atomically: true, encoding: .utf8)
        let r = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r",
                                               "--deck", dir + "/evil.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the supplied deck ran a shell command")
        // positive control: the same deck under the ngspice CLI does run the command
        let cli = try TestEnvironment.run(try TestEnvironment.ngspiceCLI(), ["-b", dir + "/evil.sp"], cwd: dir)
        #expect(FileManager.default.fileExists(atPath: marker), "ngspice -b did not run the control block (status \(cli.status))")
        // a deck file that cannot be read: exit 2 naming it, no report
        let missing = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/stim.csv", "--out", dir + "/r3",
                                                     "--deck", dir + "/nope.sp", "--models", try TestEnvironment.modelsDirectory()])
        #expect(missing.status == 2 && missing.stderr.contains(dir + "/nope.sp"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r3"))
    }

    @Test("bad input exits 2 with one line naming the file, and writes no report")
    func badInput() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("bad")
        try writeInputs(dir)
        try "a,b,c\n1,2,3\n".write(toFile: dir + "/wide.csv", atomically: true, encoding: .utf8)
        let out = try TestEnvironment.run(bmru, ["cosim", dir + "/net.json", "--input", dir + "/wide.csv", "--out", dir + "/r"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("wide.csv"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r/report.json"))
    }
}

final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases = 0, failures = 0
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "testcase" { testcases += 1 }
        if name == "failure" { failures += 1 }
    }
}

