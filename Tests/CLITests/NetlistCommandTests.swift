// `bmru netlist`: on a full disk neither the deck nor the mapping is written; an output path ngspice cannot
// take is refused naming that path.
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
