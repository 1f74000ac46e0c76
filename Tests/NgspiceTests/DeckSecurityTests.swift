import Foundation
import Ngspice
import TestSupport
import Testing

/// Decks that make ngspice run a shell command. Each case writes its files into a fresh folder; `marker`
/// is the file the command creates. The plain `ngspice -b` CLI runs every one of them (the positive
/// control: the attack is real), `bmru spice` and the in-process simulator run none.
struct Attack: CustomStringConvertible {
    var name: String
    /// file name -> contents; "deck.sp" is the deck given to the tool. MARKER is replaced by the marker path.
    var files: [String: String]
    /// exit status of `bmru spice deck.sp`: 0 when the command is removed and the circuit runs, 2 when refused
    var status: Int32
    var description: String { name }
}

let attackCircuit = "r1 a 0 1k\nv1 a 0 1\n.op\n"

let attacks: [Attack] = [
    Attack(name: ".control block in the deck", files: [
        "deck.sp": "top control\n\(attackCircuit).control\nshell touch MARKER\n.endc\n.end\n"], status: 0),
    Attack(name: ".control block in an included file", files: [
        "deck.sp": "include control\n.include sub/ctl.inc\n\(attackCircuit).end\n",
        "sub/ctl.inc": "* included\n.control\nshell touch MARKER\n.endc\n"], status: 0),
    Attack(name: ".control block inside the section of a .lib", files: [
        "deck.sp": "lib control\n.lib lib.lib sec\n\(attackCircuit).end\n",
        "lib.lib": "* a library\n.lib sec\n.control\nshell touch MARKER\n.endc\n.endl\n"], status: 0),
    Attack(name: "upper-case, indented .CONTROL without .endc", files: [
        "deck.sp": "indented\n\(attackCircuit)   .CONTROL\nshell touch MARKER\n"], status: 0),
    Attack(name: "*# line in the deck", files: [
        "deck.sp": "star hash\n*# shell touch MARKER\n\(attackCircuit).end\n"], status: 0),
    Attack(name: "*# line in an included file", files: [
        "deck.sp": "star hash include\n.inc star.inc\n\(attackCircuit).end\n",
        "star.inc": "*# shell touch MARKER\n"], status: 0),
    Attack(name: "*ng_script deck", files: [
        "deck.sp": "*ng_script\nshell touch MARKER\n"], status: 2),
]

@Suite("Decks run no commands")
struct DeckSecurityTests {
    private func lay(_ attack: Attack) throws -> (dir: String, marker: String) {
        // ngspice lower-cases `*#` lines, so the marker's path is lower case for the positive control to hold
        let dir = NSTemporaryDirectory() + "bmru-attack-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let marker = dir + "/marker"
        for (name, text) in attack.files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "MARKER", with: marker).write(toFile: path, atomically: true, encoding: .utf8)
        }
        return (dir, marker)
    }

    @Test("the ngspice CLI runs the command (positive control); bmru spice does not", arguments: attacks)
    func cliControl(attack: Attack) throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let bmru = try TestEnvironment.bmruExecutable()
        let (dir, marker) = try lay(attack)
        _ = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect(FileManager.default.fileExists(atPath: marker), "positive control: ngspice -b did not run the command")
        try FileManager.default.removeItem(atPath: marker)

        let out = try TestEnvironment.run(bmru, ["spice", dir + "/deck.sp"], cwd: dir)
        #expect(out.status == attack.status, "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "bmru spice ran the command")
        if attack.status == 0 {
            // the circuit still ran: its operating point has the source's branch current
            #expect(out.stdout.split(separator: "\n").first?.contains("v1#branch") == true, "\(out.stdout)")
            #expect(out.stderr.contains("not run"), "the removal is reported: \(out.stderr)")
        } else {
            #expect(out.stderr.contains("ng_script") && out.stderr.contains("line 1"), "\(out.stderr)")
        }
    }

    @Test("in-process runs remove the commands too, from the given deck and its includes", arguments: attacks)
    func inProcess(attack: Attack) throws {
        let (dir, marker) = try lay(attack)
        let text = try String(contentsOfFile: dir + "/deck.sp", encoding: .utf8)
        do {
            let r = try Simulator.shared.run(SimulationRequest(deck: text, source: dir + "/deck.sp"))
            #expect(attack.status == 0)
            #expect(!r.removed.isEmpty)
            // 1 V across 1 kΩ: the source delivers 1 mA
            let i = try #require(r.vector("i(v1)")?.first)
            #expect(abs(i + 1e-3) < 1e-9, "\(i)")
        } catch let e as SimulationError {
            #expect(attack.status == 2, "\(e)")
            #expect(e.kind == .refused)
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("an included system file is read by bmru and refused without quoting it; ngspice itself quotes it")
    func includedFileNotQuoted() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("passwd")
        try "passwd\n.include /etc/passwd\n\(attackCircuit).end\n".write(toFile: dir + "/deck.sp", atomically: true, encoding: .utf8)
        let secretLines = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { $0.count >= 8 }
        #expect(!secretLines.isEmpty)
        let cli = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect(secretLines.contains { (cli.stdout + cli.stderr).contains($0) }, "positive control: ngspice quotes the file")

        let out = try TestEnvironment.run(bmru, ["spice", dir + "/deck.sp"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("/etc/passwd") && out.stderr.contains("line 1"), "\(out.stderr)")
        for line in secretLines {
            #expect(!out.stderr.contains(line), "the error quotes /etc/passwd: \(out.stderr)")
        }
    }

    @Test("ngspice's error about a card of an included file names the file and line instead of quoting the card")
    func ngspiceErrorRedacted() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("redact")
        try "redact\n.include secret.inc\nv1 a 0 1\n.op\n.end\n".write(toFile: dir + "/deck.sp", atomically: true, encoding: .utf8)
        try "* a subcircuit call\nxsecret node1 node2 nosuchsubckt_topsecret42\n".write(toFile: dir + "/secret.inc", atomically: true, encoding: .utf8)
        let cli = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect((cli.stdout + cli.stderr).contains("topsecret42"), "positive control: ngspice quotes the card")
        let out = try TestEnvironment.run(bmru, ["spice", dir + "/deck.sp"])
        #expect(out.status == 2)
        #expect(!out.stderr.contains("topsecret42"), "\(out.stderr)")
        #expect(out.stderr.contains("secret.inc, line 2"), "\(out.stderr)")
    }

    @Test("a card of the given deck is still quoted in ngspice's error (it is the user's own text)")
    func givenDeckQuoted() throws {
        do {
            _ = try Simulator.shared.run(SimulationRequest(deck: "own\nxmine a b nosuchsubckt_mine7\nv1 a 0 1\n.op\n.end"))
            Issue.record("should fail")
        } catch let e as SimulationError {
            #expect(e.description.contains("nosuchsubckt_mine7"), "\(e)")
        }
    }

    @Test("an emitted deck's own .control block (for `ngspice -b`) is removed in-process; the deck still runs")
    func emittedDeckControl() throws {
        let deck = TestEnvironment.packageRoot.appendingPathComponent("netlists/tiny.sp").path
        // the committed deck names the models relative to netlists/; point it at the models this run uses
        let text = try String(contentsOfFile: deck, encoding: .utf8)
            .replacingOccurrences(of: "../models/gf180mcu", with: try TestEnvironment.modelsDirectory())
        #expect(text.contains(".control"))
        let r = try Simulator.shared.run(SimulationRequest(deck: text, vectors: ["time"], source: deck))
        #expect(r.removed.count == 1 && r.removed[0].contains(".control"), "\(r.removed)")
        // 10 frames of 10 ms
        #expect(abs((r.vector("time")?.last ?? 0) - 0.1) < 1e-6)
    }
}
