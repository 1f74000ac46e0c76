// `bmru netlist`: on a full disk neither the deck nor the mapping is written; an output path ngspice cannot
// take is refused naming that path; a layer name carrying commands and a calibration made for other model files
// are refused with nothing written; a deck written into a folder with a space runs standalone.
import BatchTestSupport
import Foundation
import TestSupport
import Testing

@Suite("bmru netlist: full disks and refused output paths", .serialized)
struct NetlistCommandTests {
    @Test("netlist on a full disk: neither the deck nor the mapping is written (they appear together or not at all)")
    func netlistDiskFull() throws {
        // deck ≈ 12 KiB and mapping ≈ 10 KiB: one fits in 16 KiB, not both
        let disk = try ScratchMount.tmpfs(kilobytes: 16, label: "netlist-full")
        defer { disk.unmount() }
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "-o", disk.path + "/deck.sp"], models: true)
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("No space left on device") && r.stderr.contains(disk.path), "\(r.stderr)")
        #expect(BMRU.noRawDump(r.stderr), "\(r.stderr)")
        #expect(disk.tree().isEmpty, "left \(disk.tree())")
    }

    @Test("netlist refuses an output path ngspice cannot take and names that path, not the network file")
    func netlistRefusedOutputNamed() throws {
        let dir = try TestEnvironment.temporaryDirectory("netlist-path")
        let bad = dir + "/a$b/deck.sp"
        try FileManager.default.createDirectory(atPath: dir + "/a$b", withIntermediateDirectories: true)
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", bad], models: true)
        #expect(r.status == 2)
        #expect(r.stderr.contains(bad), "\(r.stderr)")
        #expect(!r.stderr.contains(BatchFixtures.tinyNetwork), "the message names the network file: \(r.stderr)")
        let c = try BMRU.cosimTiny(dir + "/a$b/r")
        #expect(c.status == 2 && c.stderr.contains(dir + "/a$b/r") && !c.stderr.contains(BatchFixtures.tinyNetwork), "\(c.stderr)")
    }
}

@Suite("bmru netlist: refused inputs and standalone decks")
struct NetlistInputCommandTests {
    static func network(layerName: String) -> String {
        """
        {"format": "bmru-network", "version": 1, "name": "evil", "unit_current": 1e-9, "frame_period": 0.01, "inputs": 1,
         "layers": [{"name": "\(layerName)", "kind": "dense", "weights": [[1]], "bias": [0]}]}
        """
    }

    @Test("a layer name carrying .control/shell text: exit 2 and nothing written; the same file with a plain name is emitted")
    func injectedLayerName() throws {
        let dir = try TestEnvironment.temporaryDirectory("inject-cli")
        let marker = dir + "/pwned"
        try Self.network(layerName: "a\\n.control\\nshell touch \(marker)\\n.endc").write(toFile: dir + "/evil.json", atomically: true, encoding: .utf8)
        let r = try BMRU.run(["netlist", dir + "/evil.json", "-o", dir + "/deck.sp"], models: true)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("layers[0].name"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/deck.sp"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/deck.mapping.json"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        // positive control: the same network with a valid name is written
        try Self.network(layerName: "a").write(toFile: dir + "/plain.json", atomically: true, encoding: .utf8)
        let ok = try BMRU.run(["netlist", dir + "/plain.json", "-o", dir + "/deck.sp"], models: true)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/deck.sp") && FileManager.default.fileExists(atPath: dir + "/deck.mapping.json"))
    }

    @Test("a calibration made for other model files: exit 2 naming the field, no deck written")
    func calibrationForOtherModels() throws {
        let models = try TestEnvironment.modelsDirectory()
        let dir = try TestEnvironment.temporaryDirectory("calib-cli")
        // other models: the same library with one changed design file
        let design = try Data(contentsOf: URL(fileURLWithPath: models + "/design.ngspice"))
        try (design + Data("\n* locally modified\n".utf8)).write(to: URL(fileURLWithPath: dir + "/design.ngspice"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/sm141064.ngspice", withDestinationPath: models + "/sm141064.ngspice")
        let calibration = TestEnvironment.packageRoot.appendingPathComponent("models/calibration/typical.json").path
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", dir + "/deck.sp", "--models", dir, "--calibration", calibration])
        #expect(r.status == 2)
        #expect(r.stderr.contains("modelFiles.design.ngspice") && r.stderr.contains(calibration), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/deck.sp"))
        // positive control: with the real models the same calibration is accepted
        let ok = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", dir + "/ok.sp", "--models", models, "--calibration", calibration])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("`bmru netlist -o` into a missing nested folder creates it, and the deck written there runs standalone")
    func missingFolderCreated() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let root = try TestEnvironment.temporaryDirectory("netlist-mkdir")
        let dir = root + "/newdir/sub"
        #expect(!FileManager.default.fileExists(atPath: root + "/newdir"))
        // a path ngspice cannot take is still refused, and then no folder is created for it
        let refused = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", root + "/newdir/a$b/x.sp"], models: true)
        #expect(refused.status == 2 && refused.stderr.contains("cannot be used"), "\(refused.stderr)")
        #expect(BMRU.files(root).isEmpty, "\(BMRU.files(root))")
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "-o", dir + "/x.sp"], models: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(BMRU.files(dir) == ["x.mapping.json", "x.sp"], "\(BMRU.files(dir))")
        let run = try TestEnvironment.run(ngspice, ["-b", "x.sp"], cwd: dir)
        #expect(run.status == 0, "\(run.stderr.suffix(500))")
        #expect((FileManager.default.contents(atPath: dir + "/x.raw")?.count ?? 0) > 1000)
    }

    @Test("`bmru netlist -o` below a regular file: exit 2 naming that file, nothing created; a folder in its place is accepted")
    func parentIsRegularFile() throws {
        let root = try TestEnvironment.temporaryDirectory("netlist-notdir")
        let blocker = root + "/plain"
        try Data("not a folder\n".utf8).write(to: URL(fileURLWithPath: blocker))
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", blocker + "/sub/x.sp"], models: true)
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(blocker + " exists and is not a folder") && r.stderr.contains("-o/--out"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(BMRU.files(root) == ["plain"], "\(BMRU.files(root))")
        #expect(try String(contentsOfFile: blocker, encoding: .utf8) == "not a folder\n")
        // positive control: the same path with a folder where the file was is written
        try FileManager.default.removeItem(atPath: blocker)
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        let ok = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "-o", blocker + "/sub/x.sp"], models: true)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(BMRU.files(blocker + "/sub") == ["x.mapping.json", "x.sp"])
    }

    @Test("`bmru netlist` into a folder whose path has a space: the deck runs standalone from its folder")
    func folderWithSpace() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("space") + "/my decks"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try BMRU.run(["netlist", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "-o", dir + "/tiny.sp"],
                             models: true)
        #expect(r.status == 0, "\(r.stderr)")
        let deck = try String(contentsOfFile: dir + "/tiny.sp", encoding: .utf8)
        #expect(deck.contains("\nwrite tiny.raw\n"))
        let run = try TestEnvironment.run(ngspice, ["-b", "tiny.sp"], cwd: dir)
        #expect(run.status == 0, "\(run.stderr.suffix(500))")
        #expect((FileManager.default.contents(atPath: dir + "/tiny.raw")?.count ?? 0) > 1000)
    }
}
