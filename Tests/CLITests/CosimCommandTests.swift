// `bmru cosim`: input noise reaches the deck and the model alike and the robustness figures recount from the
// traces; real disk-full and read-only folders leave no partial report (also for netlist and batch outputs).
import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("bmru cosim --input-noise (real ngspice)", .serialized)
struct CosimNoiseCommandTests {
    @Test("bmru cosim --input-noise: the deck and the model get the noisy stimulus, and the robustness figures recount from the traces")
    func cosimWithNoise() throws {
        let dir = try TestEnvironment.temporaryDirectory("noise-cosim")
        let net = try NoiseFixtures.tiny, clean = try NoiseFixtures.tinyStimulus
        let sigma = 0.2, seed: UInt64 = 3
        let out = try BMRU.run(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/r",
                                          "--input-noise", "\(sigma)", "--noise-seed", "\(seed)", "--quiet"], models: true)
        // the circuit agrees with the model on the same noisy input
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r/report.json")))
        #expect(report.pass && report.state_agreement >= 0.995)
        let noisy = clean.withInputNoise(sigma: sigma, seed: seed)
        #expect(noisy != clean)

        // the deck's input sources: max(noisy, 0) × 1 nA per frame (12 significant digits in the deck)
        let deck = try NoiseFixtures.deckInputs(dir + "/r/deck.sp", inputs: 2, frames: clean.count, framePeriod: net.framePeriod)
        for t in 0..<clean.count {
            for i in 0..<2 {
                let want = noisy.frames[t][i] * net.unitCurrent
                #expect(NoiseFixtures.close(deck[t][i], want), "frame \(t) input \(i): \(deck[t][i]) vs \(want)")
            }
        }
        // the noisy stimulus written beside the report is the same
        let written = try StimulusFile.load(path: dir + "/r/stimulus-noisy.csv", inputs: 2)
        #expect(written == noisy)

        // the model's traces are the ideal model's on the noisy stimulus (not on the clean one)
        let w = try NoiseFixtures.waveforms(dir + "/r/waveforms.csv")
        let onNoisy = IdealModel(network: net).run(noisy), reference = IdealModel(network: net).run(clean)
        let cellIndex = try #require(net.layers.firstIndex { $0.kind == .bmru })
        let cell = net.layers[cellIndex]
        for j in 0..<cell.outputs {
            #expect(try #require(w["model:\(cell.name)[\(j)].state"]) == onNoisy.layers[cellIndex].states!.map { Double($0[j]) })
        }

        // recount the robustness from the written circuit and model states against the ideal model on the clean input
        let half = clean.count / 2
        func recount(_ side: String) throws -> (all: Double, first: Double, second: Double) {
            var d = [0, 0], n = [0, 0]
            for j in 0..<cell.outputs {
                let s = try #require(w["\(side):\(cell.name)[\(j)].state"])
                for t in 0..<clean.count {
                    let h = t < half ? 0 : 1
                    n[h] += 1
                    if Int(s[t]) != reference.layers[cellIndex].states![t][j] { d[h] += 1 }
                }
            }
            return (Double(d[0] + d[1]) / Double(n[0] + n[1]), Double(d[0]) / Double(n[0]), Double(d[1]) / Double(n[1]))
        }
        let noise = try #require(report.noise)
        #expect(noise.sigma_units == sigma && noise.seed == seed)
        #expect(noise.first_half_frames == 5 && noise.second_half_frames == 5)
        for (side, got) in [("circuit", noise.circuit), ("model", noise.model)] {
            let c = try recount(side)
            #expect(got.state_difference == c.all && got.state_difference_first_half == c.first && got.state_difference_second_half == c.second, "\(side)")
        }
        // the noise must actually knock states over here, or the recount proves little
        #expect((noise.circuit.state_difference ?? 0) > 0)
        // decisions: the reference's sequence decision and the circuit's, recounted from the output currents
        let outIndex = net.layers.count - 1, outName = net.layers[outIndex].name
        let ref = NoiseFixtures.sequenceDecision(reference.layers[outIndex].outputs)
        let o0 = try #require(w["circuit:\(outName)[0].current"]), o1 = try #require(w["circuit:\(outName)[1].current"])
        let circuitRows = (0..<clean.count).map { [o0[$0], o1[$0]] }
        let circ = NoiseFixtures.sequenceDecision(circuitRows)
        #expect(noise.reference_sequence_decision == ref.sequence)
        #expect(noise.circuit.sequence_decision == circ.sequence && noise.circuit.decision_changed == (circ.sequence != ref.sequence))
        #expect(noise.circuit.frame_decisions_changed == Double(zip(circ.frames, ref.frames).filter { $0 != $1 }.count) / Double(clean.count))
        // applied RMS: of the clipped perturbation
        let diffs = zip(noisy.frames.joined(), clean.frames.joined()).map { $0 - $1 }
        #expect(abs(noise.applied_rms_units - (diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count)).squareRoot()) < 1e-12)
        // Markdown and HTML carry the block
        let md = try String(contentsOfFile: dir + "/r/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: dir + "/r/report.html", encoding: .utf8)
        #expect(md.contains("**Input noise** σ = 0.2") && md.contains("| states differing, last 5 frames |"))
        #expect(html.contains("<h2>Input noise</h2>"))

        // without --input-noise: no noise block, no noisy stimulus file, and the deck's sources are the clean values
        let plain = try BMRU.run(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/p", "--quiet"], models: true)
        #expect(plain.status == 0)
        let plainJSON = try String(contentsOfFile: dir + "/p/report.json", encoding: .utf8)
        #expect(!plainJSON.contains("\"noise\"") && !FileManager.default.fileExists(atPath: dir + "/p/stimulus-noisy.csv"))
        let plainDeck = try NoiseFixtures.deckInputs(dir + "/p/deck.sp", inputs: 2, frames: clean.count, framePeriod: net.framePeriod)
        #expect(zip(plainDeck.joined(), clean.frames.joined()).allSatisfy { NoiseFixtures.close($0, max($1, 0) * 1e-9) })
        // bad σ: exit 2 naming the option, nothing written
        let bad = try BMRU.run(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", dir + "/bad", "--input-noise=-0.1"], models: true)
        #expect(bad.status == 2 && bad.stderr.contains("--input-noise"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad"))
    }
}

@Suite("bmru cosim: full disks, read-only and foreign folders", .serialized)
struct CosimFaultCommandTests {
    @Test("cosim on a full disk: exit 2 naming the path and ENOSPC; no report, no junit.xml, no partial file; an earlier report is removed, not left beside the failure")
    func cosimDiskFull() throws {
        // the disks are sized by the report (in tmpfs pages of 4 KiB): the first report fits in 1.5 times its size,
        // a second beside it does not, and nothing fits in a third of it
        let probe = try TestEnvironment.temporaryDirectory("cosim-size")
        let sized = try BMRU.cosimTiny(probe + "/r")
        try #require(sized.status == 0 || sized.status == 1, "exit \(sized.status): \(sized.stderr)")
        let kib = try BMRU.contents(probe + "/r").values.map { ($0.count + 4095) / 4096 * 4 }.reduce(0, +)
        let disk = try ScratchMount.tmpfs(kilobytes: kib * 3 / 2, label: "cosim-full")
        defer { disk.unmount() }
        let out = disk.path + "/r"

        // a) nothing there yet: the failed run leaves nothing
        let small = try ScratchMount.tmpfs(kilobytes: kib / 3, label: "cosim-full-small")
        defer { small.unmount() }
        let r0 = try BMRU.cosimTiny(small.path + "/r")
        #expect(r0.status == 2, "exit \(r0.status): \(r0.stderr)")
        #expect(r0.stderr.contains("No space left on device") && r0.stderr.contains(small.path + "/r"), "\(r0.stderr)")
        #expect(BMRU.noRawDump(r0.stderr), "\(r0.stderr)")
        #expect(small.tree().isEmpty, "a failed run left \(small.tree())")

        // b) a complete report, then a run that cannot write: the earlier report (whose junit.xml a CI job would
        //    read as this run's) is removed, and nothing else is left
        let first = try BMRU.cosimTiny(out)
        try #require(first.status == 0 || first.status == 1, "the first report must fit: exit \(first.status): \(first.stderr)")
        let old = try BMRU.contents(out)
        #expect(old["junit.xml"] != nil && old["report.html"] != nil)
        let second = try BMRU.cosimTiny(out)
        #expect(second.status == 2, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("No space left on device") && second.stderr.contains(out), "\(second.stderr)")
        #expect(second.stderr.contains("removed the earlier report"), "\(second.stderr)")
        #expect(disk.tree().isEmpty, "a failed run left \(disk.tree())")

        // c) space freed: the next run replaces the folder as a whole, nothing left beside it
        try disk.resize(kilobytes: kib * 8)
        let third = try BMRU.cosimTiny(out)
        #expect(third.status == 0 || third.status == 1, "exit \(third.status): \(third.stderr)")
        #expect(try Set(BMRU.contents(out).keys) == Set(old.keys))
        #expect(disk.tree().allSatisfy { $0 == "r" || $0.hasPrefix("r/") }, "leftovers: \(disk.tree())")
    }

    @Test("cosim into a folder that is itself a mount point (a container volume): written in place, still no partial report or junit.xml on a full disk")
    func cosimIntoMountPoint() throws {
        let disk = try ScratchMount.tmpfs(kilobytes: 32, label: "cosim-mountpoint")
        defer { disk.unmount() }
        let full = try BMRU.cosimTiny(disk.path)
        #expect(full.status == 2 && full.stderr.contains("No space left on device") && full.stderr.contains(disk.path), "\(full.stderr)")
        #expect(disk.tree().isEmpty, "a failed run left \(disk.tree())")
        try disk.resize(kilobytes: 1024)
        for _ in 0..<2 {
            let ok = try BMRU.cosimTiny(disk.path)
            #expect(ok.status == 0 || ok.status == 1, "exit \(ok.status): \(ok.stderr)")
            #expect(Set(disk.tree()) == ["deck.mapping.json", "deck.sp", "junit.xml", "report.html", "report.json", "report.md", "waveforms.csv"],
                    "\(disk.tree())")
        }
    }

    @Test("cosim refuses, before simulating, to replace a folder holding files it does not write")
    func cosimForeignFolder() throws {
        let dir = try TestEnvironment.temporaryDirectory("cosim-foreign")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        let r = try BMRU.cosimTiny(dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir) && r.stderr.contains("notes.txt"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["notes.txt"])
    }

    @Test("a file where an output folder is expected: exit 2 naming the path and the reason")
    func fileInsteadOfFolder() throws {
        let dir = try TestEnvironment.temporaryDirectory("file-not-folder")
        let file = dir + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let c = try BMRU.cosimTiny(file + "/r")
        #expect(c.status == 2 && c.stderr.contains(file) && (c.stderr.contains("not a folder") || c.stderr.contains("Not a directory")), "\(c.stderr)")
        #expect(BMRU.noRawDump(c.stderr), "\(c.stderr)")
        let c2 = try BMRU.cosimTiny(file)
        #expect(c2.status == 2 && c2.stderr.contains(file) && c2.stderr.contains("not a folder"), "\(c2.stderr)")
    }

    @Test("a read-only output folder: exit 2 naming the path and 'Read-only file system' (cosim, netlist, batch), no raw error dump")
    func readOnlyOutput() throws {
        let ro = try ScratchMount.readOnly(label: "ro-out")
        defer { ro.unmount() }
        let c = try BMRU.cosimTiny(ro.path + "/r")
        #expect(c.status == 2 && c.stderr.contains(ro.path) && c.stderr.contains("Read-only file system"), "cosim: \(c.stderr)")
        #expect(BMRU.noRawDump(c.stderr), "cosim: \(c.stderr)")
        let n = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", ro.path + "/deck.sp"], models: true)
        #expect(n.status == 2 && n.stderr.contains(ro.path + "/deck") && n.stderr.contains("Read-only file system"), "netlist: \(n.stderr)")
        #expect(BMRU.noRawDump(n.stderr), "netlist: \(n.stderr)")
        let dir = try TestEnvironment.temporaryDirectory("ro-manifest")
        let manifest = try BatchFixtures.write(BatchFixtures.manifest(corners: "[\"typical\"]"), in: dir)
        let b = try BMRU.run(["batch", manifest, "--out", ro.path + "/b", "--quiet"], models: true)
        #expect(b.status == 2 && b.stderr.contains(ro.path + "/b") && b.stderr.contains("Read-only file system"), "batch: \(b.stderr)")
        #expect(BMRU.noRawDump(b.stderr), "batch: \(b.stderr)")
        #expect(ro.tree().isEmpty)
    }
}
