// One spelling per concept: every command's output option is `-o` / `--out` (the earlier long spellings
// `--output`, `spice --csv`, `characterize --json` still work), input noise is `--input-noise` (`model --noise`
// still works), and a simulation's time limit is `--timeout`. Each spelling is run for real where the command is
// quick; where it takes minutes (calibrate, train, kws synth) the run stops at a value check made after
// parsing, whose message differs from the parser's refusal of an unknown option (the positive control).
import Foundation
import KWS
import TestSupport
import Testing

@Suite("one spelling per concept: -o/--out, --input-noise, --timeout")
struct OptionSpellingTests {
    static let outputSpellings = ["-o", "--out", "--output"]

    /// Runs `args(spelling, path)` once per spelling, each into a fresh missing folder; every run exits 0 and
    /// writes the same bytes.
    func sameOutput(_ label: String, spellings: [String] = outputSpellings, file: String,
                    models: Bool = false, _ args: (String, String) -> [String]) throws {
        let root = try TestEnvironment.temporaryDirectory("spell-" + label)
        var written: [String: Data] = [:]
        for (k, s) in spellings.enumerated() {
            let path = "\(root)/run\(k)/new/\(file)"
            let r = try BMRU.run(args(s, path), models: models)
            #expect(r.status == 0, "\(label) \(s): exit \(r.status): \(r.stderr)")
            written[s] = FileManager.default.contents(atPath: path)
            #expect(written[s] != nil, "\(label) \(s): nothing at \(path)")
        }
        let first = written[spellings[0]]
        #expect(first.map { !$0.isEmpty } == true, "\(label): empty output")
        for s in spellings.dropFirst() {
            #expect(written[s] == first, "\(label): \(s) wrote other bytes than \(spellings[0])")
        }
    }

    @Test("stimulus, model, import, kws features and spice accept -o, --out and their earlier spelling, with the same result")
    func fileOutputs() throws {
        try sameOutput("stimulus", file: "s.csv") { ["stimulus", "--inputs", "3", "--frames", "5", "--seed", "4", $0, $1] }
        try sameOutput("model", file: "m.csv") { ["model", TinyExample.network, "--input", TinyExample.stimulus, $0, $1] }

        let dir = try TestEnvironment.temporaryDirectory("spell-import-in")
        try """
            {"format": "bmru-network", "version": 1, "name": "one", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 1,
             "layers": [{"name": "d", "kind": "dense"}]}
            """.write(toFile: dir + "/arch.json", atomically: true, encoding: .utf8)
        try ImportCommandTests.safetensors([("d.weight", [1, 1], [0.5]), ("d.bias", [1], [0.25])])
            .write(to: URL(fileURLWithPath: dir + "/t.safetensors"))
        try sameOutput("import", file: "n.json") { ["import", "--arch", dir + "/arch.json", "--tensors", dir + "/t.safetensors", $0, $1] }

        let wav = dir + "/tone.wav"
        try WAVFile.write16(samples: (0..<16000).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 16000)) }, sampleRate: 16000, path: wav)
        try sameOutput("features", file: "f.csv") { ["kws", "features", wav, $0, $1] }

        try "rc\nv1 a 0 1\nr1 a b 1k\nr2 b 0 1k\n.op\n.end\n".write(toFile: dir + "/rc.sp", atomically: true, encoding: .utf8)
        try sameOutput("spice", spellings: ["-o", "--out", "--csv"], file: "v.csv") { ["spice", dir + "/rc.sp", $0, $1] }
    }

    @Test("netlist and characterize accept -o, --out and their earlier spelling (--output, --json)")
    func simulatorOutputs() throws {
        // the deck names its raw file by its own path: every spelling writes the same path in turn
        let root = try TestEnvironment.temporaryDirectory("spell-netlist")
        var decks: [Data] = []
        for s in Self.outputSpellings {
            let folder = root + "/new"
            try? FileManager.default.removeItem(atPath: folder)
            let r = try BMRU.run(["netlist", TinyExample.network, "--input", TinyExample.stimulus, s, folder + "/x.sp"], models: true)
            #expect(r.status == 0, "netlist \(s): \(r.stderr)")
            #expect(BMRU.files(folder) == ["x.mapping.json", "x.sp"], "netlist \(s): \(BMRU.files(folder))")
            decks.append(FileManager.default.contents(atPath: folder + "/x.sp") ?? Data())
        }
        #expect(decks.count == 3 && !decks[0].isEmpty && decks.allSatisfy { $0 == decks[0] })

        try sameOutput("characterize", spellings: ["-o", "--out", "--json"], file: "c.json", models: true) {
            ["characterize", "mirror", "--ratio", "1", "--current", "1e-9", $0, $1]
        }
    }

    @Test("cosim writes its report with -o as with --out")
    func cosimShort() throws {
        let out = try TestEnvironment.temporaryDirectory("spell-cosim") + "/new/report"
        let r = try BMRU.run(["cosim", TinyExample.network, "--input", TinyExample.stimulus, "-o", out, "--quiet"], models: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(BMRU.files(out).contains("report.json") && BMRU.files(out).contains("junit.xml"), "\(BMRU.files(out))")
    }

    @Test("calibrate, train, kws synth, power, batch and noise take -o and --out (runs stopped by a value check after parsing)")
    func longCommands() throws {
        let dir = try TestEnvironment.temporaryDirectory("spell-long")
        let cases: [(spellings: [String], args: (String) -> [String], check: String)] = [
            (Self.outputSpellings, { ["calibrate", $0, dir + "/c.json", "--temp", "500"] }, "--temp: must be in"),
            (["--timeout"], { ["calibrate", $0, "0"] }, "--timeout: must be"),
            (Self.outputSpellings, { ["train", "--task", "nope", "--data", dir, $0, dir + "/n.json"] }, "--task: only"),
            (["-o", "--out"], { ["kws", "synth", $0, dir + "/data", "--snr-min", "50", "--snr-max", "10"] }, "--snr-min must be"),
            (["-o", "--out"], { ["power", "--widths", "2,3,4", "--frames", "0", $0, dir + "/p"] }, "--frames: must be in"),
            (["-o", "--out"], { ["batch", dir + "/missing.json", $0, dir + "/b"] }, "missing.json"),
            (["-o", "--out"], { ["noise", "x.json", "--input", "x.csv", "--sources", "none", $0, dir + "/n"] }, "--sources"),
        ]
        for c in cases {
            for s in c.spellings {
                let r = try BMRU.run(c.args(s), models: true)
                #expect(r.status == 2 && r.stderr.contains(c.check), "\(c.args(s)): exit \(r.status): \(r.stderr)")
            }
        }
        // positive control: a spelling the parser does not know is refused before any of these checks
        let unknown = try BMRU.run(["calibrate", "--outfile", dir + "/c.json", "--temp", "500"], models: true)
        #expect(unknown.status == 64 && unknown.stderr.contains("--outfile") && !unknown.stderr.contains("--temp: must"), "\(unknown.stderr)")
        #expect(BMRU.files(dir).isEmpty, "\(BMRU.files(dir))")
    }

    @Test("model --input-noise and the earlier --noise give the same circuit-aware prediction, which the noise changes")
    func inputNoise() throws {
        let dir = try TestEnvironment.temporaryDirectory("spell-noise")
        let calibration = TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path
        func predict(_ extra: [String], _ name: String) throws -> (Int32, String, Data?) {
            let r = try BMRU.run(["model", TinyExample.network, "--input", TinyExample.stimulus, "-o", dir + "/" + name,
                                  "--circuit-aware", "--calibration", calibration] + extra, models: true)
            return (r.status, r.stderr, FileManager.default.contents(atPath: dir + "/" + name))
        }
        let new = try predict(["--input-noise", "0.3", "--noise-seed", "5"], "new.csv")
        let old = try predict(["--noise", "0.3", "--noise-seed", "5"], "old.csv")
        let clean = try predict([], "clean.csv")
        #expect(new.0 == 0 && old.0 == 0 && clean.0 == 0, "\(new.1) \(old.1) \(clean.1)")
        #expect(new.2 != nil && new.2 == old.2)
        #expect(new.2 != clean.2, "positive control: σ = 0.3 changes the prediction")
        let both = try predict(["--input-noise", "0.3", "--noise", "0.3"], "both.csv")
        #expect(both.0 == 2 && both.1.contains("--input-noise") && both.2 == nil, "\(both.1)")
        // the ideal model runs on the clean input: asking it for noise is an error, not silently ignored
        let ideal = try BMRU.run(["model", TinyExample.network, "--input", TinyExample.stimulus, "-o", dir + "/i.csv", "--input-noise", "0.3"])
        #expect(ideal.status == 2 && ideal.stderr.contains("--circuit-aware"), "\(ideal.stderr)")
        #expect(try BMRU.run(["model", "--help"]).stdout.contains("--input-noise"))
        #expect(!(try BMRU.run(["model", "--help"]).stdout.contains("--noise ")), "the earlier spelling is hidden")
    }

    @Test("--timeout is checked by every command that has one, and named")
    func timeouts() throws {
        let dir = try TestEnvironment.temporaryDirectory("spell-timeout")
        try "rc\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n".write(toFile: dir + "/rc.sp", atomically: true, encoding: .utf8)
        for args in [["spice", dir + "/rc.sp"],
                     ["cosim", TinyExample.network, "--input", TinyExample.stimulus, "--out", dir + "/r"],
                     ["characterize", "mirror", "--ratio", "1"],
                     ["calibrate", "-o", dir + "/c.json"]] {
            let r = try BMRU.run(args + ["--timeout", "0"], models: true)
            #expect(r.status == 2 && r.stderr.contains("--timeout: must be"), "\(args[0]): \(r.stderr)")
        }
        // positive control: the same spice run with a usable limit succeeds
        let ok = try BMRU.run(["spice", dir + "/rc.sp", "--timeout", "30"])
        #expect(ok.status == 0 && ok.stdout.split(separator: "\n").count == 2, "\(ok.stderr)")
        #expect(BMRU.files(dir) == ["rc.sp"])
    }
}
