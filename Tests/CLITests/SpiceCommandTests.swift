// `bmru spice`: decks run no commands and quote no included file; many runs in one process keep memory flat;
// an ngspice controlled exit fails the later decks fast.
import Foundation
import TestSupport
import Testing

@Suite("bmru spice: decks run no commands")
struct SpiceCommandSecurityTests {
    @Test("the ngspice CLI runs the command (positive control); bmru spice does not", arguments: Attack.all)
    func cliControl(attack: Attack) throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let (dir, marker) = try attack.lay()
        _ = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect(FileManager.default.fileExists(atPath: marker), "positive control: ngspice -b did not run the command")
        try FileManager.default.removeItem(atPath: marker)

        let out = try BMRU.run(["spice", dir + "/deck.sp"], cwd: dir)
        #expect(out.status == attack.status, "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "bmru spice ran the command")
        if attack.status == 0 {
            // the circuit still ran: its operating point has the source's branch current
            #expect(out.stdout.split(separator: "\n").first?.contains("i(v1)") == true, "\(out.stdout)")
            #expect(out.stderr.contains("not run"), "the removal is reported: \(out.stderr)")
        } else {
            #expect(out.stderr.contains("ng_script") && out.stderr.contains("line 1"), "\(out.stderr)")
        }
    }

    @Test("an included system file is read by bmru and refused without quoting it; ngspice itself quotes it")
    func includedFileNotQuoted() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("passwd")
        try "passwd\n.include /etc/passwd\n\(Attack.circuit).end\n".write(toFile: dir + "/deck.sp", atomically: true, encoding: .utf8)
        let secretLines = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { $0.count >= 8 }
        #expect(!secretLines.isEmpty)
        let cli = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect(secretLines.contains { (cli.stdout + cli.stderr).contains($0) }, "positive control: ngspice quotes the file")

        let out = try BMRU.run(["spice", dir + "/deck.sp"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("/etc/passwd") && out.stderr.contains("line 1"), "\(out.stderr)")
        for line in secretLines {
            #expect(!out.stderr.contains(line), "the error quotes /etc/passwd: \(out.stderr)")
        }
    }

    @Test("ngspice's error about a card of an included file names the file and line instead of quoting the card")
    func ngspiceErrorRedacted() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("redact")
        try "redact\n.include secret.inc\nv1 a 0 1\n.op\n.end\n".write(toFile: dir + "/deck.sp", atomically: true, encoding: .utf8)
        try "* a subcircuit call\nxsecret node1 node2 nosuchsubckt_topsecret42\n".write(toFile: dir + "/secret.inc", atomically: true, encoding: .utf8)
        let cli = try TestEnvironment.run(ngspice, ["-b", "deck.sp"], cwd: dir)
        #expect((cli.stdout + cli.stderr).contains("topsecret42"), "positive control: ngspice quotes the card")
        let out = try BMRU.run(["spice", dir + "/deck.sp"])
        #expect(out.status == 2)
        #expect(!out.stderr.contains("topsecret42"), "\(out.stderr)")
        #expect(out.stderr.contains("secret.inc, line 2"), "\(out.stderr)")
    }
}

@Suite("bmru spice: CSV headers")
struct SpiceCommandHeaderTests {
    @Test("the CSV header has ngspice's vector names, the ones its own raw file lists (v(node), i(source))")
    func headerAsRawFile() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("spice-names")
        let circuit = "rc\nv1 a 0 1\nr1 a b 1k\nr2 b 0 1k\n.tran 1u 5u\n"
        try (circuit + ".control\nset filetype=ascii\nrun\nwrite rc.raw\n.endc\n.end\n").write(toFile: dir + "/rc.sp", atomically: true, encoding: .utf8)
        // (ngspice -b exits 1 here, "no simulations run" outside the control block; the raw file is written)
        let cli = try TestEnvironment.run(ngspice, ["-b", "rc.sp"], cwd: dir)
        #expect(FileManager.default.fileExists(atPath: dir + "/rc.raw"), "\(cli.stdout) \(cli.stderr)")
        // the raw file's "Variables:" block: index, name, type
        let raw = try String(contentsOfFile: dir + "/rc.raw", encoding: .utf8).split(separator: "\n").map(String.init)
        let start = try #require(raw.firstIndex(of: "Variables:")), end = try #require(raw.firstIndex(of: "Values:"))
        let rawNames = raw[(start + 1)..<end].map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " })[1] }.map(String.init)
        #expect(rawNames == ["time", "v(a)", "v(b)", "i(v1)"], "\(rawNames)")
        try (circuit + ".end\n").write(toFile: dir + "/plain.sp", atomically: true, encoding: .utf8)
        let all = try BMRU.run(["spice", dir + "/plain.sp"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.split(separator: "\n").first.map(String.init) == rawNames.joined(separator: ","), "\(all.stdout.prefix(200))")
        // requested by either spelling, the header names them the same way, in the order asked
        let some = try BMRU.run(["spice", dir + "/plain.sp", "--vector", "V1#branch", "--vector", "b", "--vector", "v(a)"])
        #expect(some.stdout.split(separator: "\n").first == "time,i(v1),v(b),v(a)", "\(some.stdout.prefix(200))")
        // two vectors with equal values (the same node voltage twice over) stay two columns of their own names
        try "eq\nv1 a 0 1\nr1 a b 1k\nv2 c 0 1\nr2 c d 1k\nr3 b 0 1k\nr4 d 0 1k\n.op\n.end\n".write(toFile: dir + "/eq.sp", atomically: true, encoding: .utf8)
        let eq = try BMRU.run(["spice", dir + "/eq.sp", "--vector", "v(d)", "--vector", "v(b)"])
        #expect(eq.stdout.split(separator: "\n").first == "v(d),v(b)", "\(eq.stdout)")
    }

    @Test("an emitted deck's probes come out as v(s_cell_0) and i(vdd_bias)")
    func emittedProbes() throws {
        let dir = try TestEnvironment.temporaryDirectory("spice-probes")
        let n = try BMRU.run(["netlist", TinyExample.network, "--input", TinyExample.stimulus, "-o", dir + "/tiny.sp"], models: true)
        #expect(n.status == 0, "\(n.stderr)")
        let r = try BMRU.run(["spice", dir + "/tiny.sp", "--vector", "v(s_cell_0)", "--vector", "i(vdd_bias)", "-o", dir + "/t.csv"], models: true)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try TinyExample.rows(dir + "/t.csv")
        #expect(rows.first == ["time", "v(s_cell_0)", "i(vdd_bias)"], "\(rows.first ?? [])")
        #expect(rows.count > 100 && rows.dropFirst().allSatisfy { $0.count == 3 && Double($0[1]) != nil })
    }
}

@Suite("bmru spice: ngspice in a child process")
struct SpiceCommandProcessTests {
    /// 500 runs of a small deck in one process. Without `destroy all` + `remcirc` between runs ngspice keeps
    /// every circuit and plot: a tiny deck grew resident memory by about 85 kB per run (24 -> 109 MB over
    /// 1000 runs, design notes), and a GF180MCU mirror deck by about 440 kB per run here. With cleanup the
    /// growth after the first run is allocator noise. The bound, 4 MB over 500 runs (8 kB per run), is a
    /// tenth of the smaller leak.
    @Test("500 sequential runs keep resident memory flat")
    func memoryFlat() throws {
        let dir = try TestEnvironment.temporaryDirectory("mem")
        let deck = "rc step\nv1 a 0 pulse(0 1 1u 1u 1u 1 2)\nr1 a b 1k\nc1 b 0 1n\nvo b c 0\nr2 c 0 1meg\n.tran 0.1u 20u\n.end"
        try deck.write(toFile: dir + "/m.sp", atomically: true, encoding: .utf8)
        let out = try BMRU.run(["spice", dir + "/m.sp", "--repeat", "500", "--vector", "v(b)", "--csv", dir + "/o.csv"])
        #expect(out.status == 0, "\(out.stderr)")
        func field(_ name: String) -> Int? {
            out.stderr.split(separator: " ").first { $0.hasPrefix(name + "=") }.flatMap { Int($0.split(separator: "=")[1].trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let first = try #require(field("rss_kb_after_first")), end = try #require(field("rss_kb_end"))
        #expect(end - first < 4 * 1024, "RSS grew from \(first) kB to \(end) kB over 500 runs")
    }

    @Test("an ngspice controlled exit is an error, and the library then fails fast instead of crashing")
    func controlledExitPoisons() throws {
        let dir = try TestEnvironment.temporaryDirectory("exit")
        // an unbalanced brace in a parameter expression makes ngspice 39 give up ("cannot recover")
        try "poison\nv1 a 0 1\nr1 a 0 {1k\n.op\n.end".write(toFile: dir + "/bad.sp", atomically: true, encoding: .utf8)
        try "good\nv1 a 0 1\nr1 a 0 1k\n.op\n.end".write(toFile: dir + "/good.sp", atomically: true, encoding: .utf8)
        let out = try BMRU.run(["spice", dir + "/bad.sp", "--then", dir + "/good.sp"])
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr.contains("controlledExit"), "\(out.stderr)")
        #expect(out.stderr.contains("then \(dir)/good.sp: error: controlledExit"), "\(out.stderr)")
    }
}

@Suite("bmru spice --threads (real ngspice)", .serialized)
struct SpiceThreadsTests {
    @Test("two OpenMP threads give the vectors of one (to 1e-9 relative); 0 threads is refused")
    func threads() throws {
        let dir = try TestEnvironment.temporaryDirectory("spice-threads")
        let deck = TestEnvironment.packageRoot.path + "/netlists/tiny.sp"
        var csv: [[[Double]]] = []
        for t in ["1", "2"] {
            let r = try BMRU.run(["spice", deck, "--threads", t, "-o", dir + "/t\(t).csv"], cwd: TestEnvironment.packageRoot.path + "/netlists", models: true)
            #expect(r.status == 0, "\(r.stderr)")
            let rows = try String(contentsOfFile: dir + "/t\(t).csv", encoding: .utf8).split(separator: "\n").dropFirst()
            csv.append(rows.map { $0.split(separator: ",").map { Double($0)! } })
        }
        #expect(csv[0].count == csv[1].count && csv[0].count > 100)
        for (a, b) in zip(csv[0], csv[1]) {
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-18) }
        }
        let bad = try BMRU.run(["spice", deck, "--threads", "0"], models: true)
        #expect(bad.status == 2 && bad.stderr.contains("--threads"), "\(bad.stderr)")
    }
}
