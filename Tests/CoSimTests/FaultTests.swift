import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

/// Real file-system faults: a full disk is a small tmpfs mounted for the test, a read-only folder is a read-only
/// bind mount (root ignores permission bits, not a read-only mount). The mounts need root (CI runs as root);
/// a test that cannot mount FAILS with the reason, it never skips.
struct ScratchMount {
    let path: String

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func mount(_ args: [String]) throws {
        let r = try TestEnvironment.run("/bin/mount", args)
        guard r.status == 0 else {
            throw Unavailable(description: "precondition not met: `mount \(args.joined(separator: " "))` failed (exit \(r.status): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); these tests need root and mount permission")
        }
    }

    /// A tmpfs of `kilobytes` KiB (a disk that fills up for real: write() fails with ENOSPC).
    static func tmpfs(kilobytes: Int, label: String) throws -> ScratchMount {
        let dir = try TestEnvironment.temporaryDirectory(label)
        try mount(["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", dir])
        return ScratchMount(path: dir)
    }

    /// A read-only bind mount of a fresh folder (writes fail with EROFS, also for root).
    static func readOnly(label: String) throws -> ScratchMount {
        let src = try TestEnvironment.temporaryDirectory(label + "-src")
        let dir = try TestEnvironment.temporaryDirectory(label)
        try mount(["--bind", src, dir])
        do {
            try mount(["-o", "remount,bind,ro", dir])
        } catch {
            _ = try? TestEnvironment.run("/bin/umount", [dir])
            throw error
        }
        let probe = dir + "/probe"
        if FileManager.default.createFile(atPath: probe, contents: Data()) {
            _ = try? TestEnvironment.run("/bin/umount", [dir])
            throw Unavailable(description: "precondition not met: the read-only bind mount \(dir) accepted a write")
        }
        return ScratchMount(path: dir)
    }

    /// Frees space: the same tmpfs, larger.
    func resize(kilobytes: Int) throws {
        try Self.mount(["-o", "remount,size=\(kilobytes)k", path])
    }

    func unmount() {
        _ = try? TestEnvironment.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Every entry under the mount, relative, sorted (hidden ones too).
    func tree() -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}

@Suite("Fault handling (real disk-full, read-only folders, signals, processes)", .serialized)
struct FaultTests {
    func bmru(_ args: [String], cwd: String? = nil) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args, cwd: cwd,
                                environment: ["BMRU_MODELS": try TestEnvironment.modelsDirectory()])
    }

    func cosim(_ out: String) throws -> TestEnvironment.ProcessOutput {
        try bmru(["cosim", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "--out", out, "--quiet"])
    }

    static func noRawDump(_ text: String) -> Bool {
        !text.contains("NSCocoaErrorDomain") && !text.contains("Error Domain=") && !text.contains("NSUnderlyingError")
    }

    static func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    // MARK: 1. cosim on a full disk

    @Test("cosim on a full disk: exit 2 naming the path and ENOSPC; no report, no junit.xml, no partial file; an earlier report is removed, not left beside the failure")
    func cosimDiskFull() throws {
        // about 68 KiB of report: the first fits in 96 KiB, a second beside it does not
        let disk = try ScratchMount.tmpfs(kilobytes: 96, label: "cosim-full")
        defer { disk.unmount() }
        let out = disk.path + "/r"

        // a) nothing there yet: the failed run leaves nothing
        let small = try ScratchMount.tmpfs(kilobytes: 32, label: "cosim-full-small")
        defer { small.unmount() }
        let r0 = try cosim(small.path + "/r")
        #expect(r0.status == 2, "exit \(r0.status): \(r0.stderr)")
        #expect(r0.stderr.contains("No space left on device") && r0.stderr.contains(small.path + "/r"), "\(r0.stderr)")
        #expect(Self.noRawDump(r0.stderr), "\(r0.stderr)")
        #expect(small.tree().isEmpty, "a failed run left \(small.tree())")

        // b) a complete report, then a run that cannot write: the earlier report (whose junit.xml a CI job would
        //    read as this run's) is removed, and nothing else is left
        let first = try cosim(out)
        try #require(first.status == 0 || first.status == 1, "the first report must fit: exit \(first.status): \(first.stderr)")
        let old = try Self.contents(out)
        #expect(old["junit.xml"] != nil && old["report.html"] != nil)
        let second = try cosim(out)
        #expect(second.status == 2, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("No space left on device") && second.stderr.contains(out), "\(second.stderr)")
        #expect(second.stderr.contains("removed the earlier report"), "\(second.stderr)")
        #expect(disk.tree().isEmpty, "a failed run left \(disk.tree())")

        // c) space freed: the next run replaces the folder as a whole, nothing left beside it
        try disk.resize(kilobytes: 1024)
        let third = try cosim(out)
        #expect(third.status == 0 || third.status == 1, "exit \(third.status): \(third.stderr)")
        #expect(try Set(Self.contents(out).keys) == Set(old.keys))
        #expect(disk.tree().allSatisfy { $0 == "r" || $0.hasPrefix("r/") }, "leftovers: \(disk.tree())")
    }

    @Test("cosim into a folder that is itself a mount point (a container volume): written in place, still no partial report or junit.xml on a full disk")
    func cosimIntoMountPoint() throws {
        let disk = try ScratchMount.tmpfs(kilobytes: 32, label: "cosim-mountpoint")
        defer { disk.unmount() }
        let full = try cosim(disk.path)
        #expect(full.status == 2 && full.stderr.contains("No space left on device") && full.stderr.contains(disk.path), "\(full.stderr)")
        #expect(disk.tree().isEmpty, "a failed run left \(disk.tree())")
        try disk.resize(kilobytes: 1024)
        for _ in 0..<2 {
            let ok = try cosim(disk.path)
            #expect(ok.status == 0 || ok.status == 1, "exit \(ok.status): \(ok.stderr)")
            #expect(Set(disk.tree()) == ["deck.mapping.json", "deck.sp", "junit.xml", "report.html", "report.json", "report.md", "waveforms.csv"],
                    "\(disk.tree())")
        }
    }

    @Test("cosim refuses, before simulating, to replace a folder holding files it does not write")
    func cosimForeignFolder() throws {
        let dir = try TestEnvironment.temporaryDirectory("cosim-foreign")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        let r = try cosim(dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir) && r.stderr.contains("notes.txt"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["notes.txt"])
    }

    @Test("netlist on a full disk: neither the deck nor the mapping is written (they appear together or not at all)")
    func netlistDiskFull() throws {
        // deck ≈ 12 KiB and mapping ≈ 10 KiB: one fits in 16 KiB, not both
        let disk = try ScratchMount.tmpfs(kilobytes: 16, label: "netlist-full")
        defer { disk.unmount() }
        let r = try bmru(["netlist", BatchFixtures.tinyNetwork, "--input", BatchFixtures.tinyStimulus, "-o", disk.path + "/deck.sp"])
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("No space left on device") && r.stderr.contains(disk.path), "\(r.stderr)")
        #expect(Self.noRawDump(r.stderr), "\(r.stderr)")
        #expect(disk.tree().isEmpty, "left \(disk.tree())")
    }

    // MARK: 5. read-only folders, a file where a folder is expected

    @Test("a read-only output folder: exit 2 naming the path and 'Read-only file system' (cosim, netlist, batch), no raw error dump")
    func readOnlyOutput() throws {
        let ro = try ScratchMount.readOnly(label: "ro-out")
        defer { ro.unmount() }
        let c = try cosim(ro.path + "/r")
        #expect(c.status == 2 && c.stderr.contains(ro.path) && c.stderr.contains("Read-only file system"), "cosim: \(c.stderr)")
        #expect(Self.noRawDump(c.stderr), "cosim: \(c.stderr)")
        let n = try bmru(["netlist", BatchFixtures.tinyNetwork, "-o", ro.path + "/deck.sp"])
        #expect(n.status == 2 && n.stderr.contains(ro.path + "/deck") && n.stderr.contains("Read-only file system"), "netlist: \(n.stderr)")
        #expect(Self.noRawDump(n.stderr), "netlist: \(n.stderr)")
        let dir = try TestEnvironment.temporaryDirectory("ro-manifest")
        let manifest = try BatchFixtures.write(BatchFixtures.manifest(corners: "[\"typical\"]"), in: dir)
        let b = try bmru(["batch", manifest, "--out", ro.path + "/b", "--quiet"])
        #expect(b.status == 2 && b.stderr.contains(ro.path + "/b") && b.stderr.contains("Read-only file system"), "batch: \(b.stderr)")
        #expect(Self.noRawDump(b.stderr), "batch: \(b.stderr)")
        #expect(ro.tree().isEmpty)
    }

    @Test("a file where an output folder is expected: exit 2 naming the path and the reason")
    func fileInsteadOfFolder() throws {
        let dir = try TestEnvironment.temporaryDirectory("file-not-folder")
        let file = dir + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let c = try cosim(file + "/r")
        #expect(c.status == 2 && c.stderr.contains(file) && (c.stderr.contains("not a folder") || c.stderr.contains("Not a directory")), "\(c.stderr)")
        #expect(Self.noRawDump(c.stderr), "\(c.stderr)")
        let c2 = try cosim(file)
        #expect(c2.status == 2 && c2.stderr.contains(file) && c2.stderr.contains("not a folder"), "\(c2.stderr)")
    }

    // MARK: 6. netlist names the output path it refuses

    @Test("netlist refuses an output path ngspice cannot take and names that path, not the network file")
    func netlistRefusedOutputNamed() throws {
        let dir = try TestEnvironment.temporaryDirectory("netlist-path")
        let bad = dir + "/a$b/deck.sp"
        try FileManager.default.createDirectory(atPath: dir + "/a$b", withIntermediateDirectories: true)
        let r = try bmru(["netlist", BatchFixtures.tinyNetwork, "-o", bad])
        #expect(r.status == 2)
        #expect(r.stderr.contains(bad), "\(r.stderr)")
        #expect(!r.stderr.contains(BatchFixtures.tinyNetwork), "the message names the network file: \(r.stderr)")
        let c = try cosim(dir + "/a$b/r")
        #expect(c.status == 2 && c.stderr.contains(dir + "/a$b/r") && !c.stderr.contains(BatchFixtures.tinyNetwork), "\(c.stderr)")
    }

    // MARK: batch

    /// Jobs that each take seconds (100 frames): long enough to act on a running batch.
    static func slowManifest(in dir: String, corners: String = "[\"typical\", \"ff\", \"ss\", \"fs\"]") throws -> String {
        try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "slow",
             "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 100, "seed": 9, "density": 0.25}}],
             "corners": \(corners), "mismatch": {"samples": 1, "seed": 70, "nominal": true}, "required_yield": 0}
            """, in: dir, name: "slow.json")
    }

    func startBatch(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestEnvironment.bmruExecutable())
        p.arguments = ["batch"] + args
        p.environment = ProcessInfo.processInfo.environment.merging(["BMRU_MODELS": try TestEnvironment.modelsDirectory()]) { _, n in n }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func jobFolders(_ jobsDir: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []).filter { !$0.hasPrefix(".") })
    }

    /// Starts `bmru batch ARGS` with posix_spawn, as a shell does (Foundation's Process kills the child's whole
    /// process group when the child dies, which would hide orphaned workers), output to /dev/null.
    func spawnBatch(_ args: [String]) throws -> pid_t {
        let argv0 = try TestEnvironment.bmruExecutable()
        var env = ProcessInfo.processInfo.environment
        env["BMRU_MODELS"] = try TestEnvironment.modelsDirectory()
        let argv: [UnsafeMutablePointer<CChar>?] = ([argv0, "batch"] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv0, &actions, nil, argv, envp)
        guard rc == 0 else { throw ScratchMount.Unavailable(description: "precondition not met: cannot start \(argv0): \(String(cString: strerror(rc)))") }
        return pid
    }

    @Test("SIGKILL of the batch: its workers die within a second and no job folder appears afterwards")
    func workersDieWithParent() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-orphans")
        let manifest = try Self.slowManifest(in: dir)
        let out = dir + "/out"
        let parent = try spawnBatch([manifest, "--out", out, "--jobs", "2", "--quiet"])
        var reaped = false
        defer { if !reaped { kill(parent, SIGKILL); var st: Int32 = 0; waitpid(parent, &st, 0) } }
        var workers: [pid_t] = []
        let deadline = Date().addingTimeInterval(60)
        while workers.count < 2 && Processes.alive(parent) && Date() < deadline {
            usleep(50_000)
            workers = Processes.children(of: parent)
        }
        try #require(workers.count == 2, "precondition not met: the batch did not start 2 workers (saw \(workers))")
        usleep(500_000)   // the workers are inside their first jobs
        kill(parent, SIGKILL)
        var status: Int32 = 0
        waitpid(parent, &status, 0)
        reaped = true
        let atKill = Self.jobFolders(out + "/jobs")
        let killed = Date()
        while workers.contains(where: Processes.alive) && Date().timeIntervalSince(killed) < 1 { usleep(20_000) }
        let survivors = workers.filter(Processes.alive)
        print("workersDieWithParent: workers \(workers) gone after \(String(format: "%.3f", Date().timeIntervalSince(killed))) s (survivors \(survivors)); job folders at the kill: \(atKill.count)")
        #expect(survivors.isEmpty, "workers \(survivors) still run \(Date().timeIntervalSince(killed)) s after the batch was killed")
        sleep(4)
        let later = Self.jobFolders(out + "/jobs")
        #expect(later == atKill, "job folders written after the batch was killed: \(later.subtracting(atKill).sorted())")
        for w in survivors { kill(w, SIGKILL) }
    }

    @Test("two runs on one batch folder: the second is refused with exit 2 while the first holds the lock; the lock goes with the first")
    func secondRunRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-lock")
        let manifest = try Self.slowManifest(in: dir, corners: "[\"typical\", \"ff\"]")
        let out = dir + "/out"
        let first = try startBatch([manifest, "--out", out, "--jobs", "1", "--quiet"])
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(60)
        while Processes.children(of: first.processIdentifier).isEmpty && first.isRunning && Date() < deadline { usleep(50_000) }
        try #require(first.isRunning && FileManager.default.fileExists(atPath: out + "/batch.json"),
                     "precondition not met: the first batch is not running")
        let started = Date()
        let second = try bmru(["batch", manifest, "--out", out, "--resume", "--jobs", "1", "--quiet"])
        #expect(second.status == 2, "exit \(second.status): \(second.stderr.suffix(600))")
        #expect(second.stderr.contains("another bmru batch") && second.stderr.contains(out), "\(second.stderr)")
        #expect(second.stderr.contains("process \(first.processIdentifier)"), "\(second.stderr)")
        #expect(Date().timeIntervalSince(started) < 10, "the refusal should be immediate")
        #expect(first.isRunning, "the first run should still be working")
        first.interrupt()
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        // the lock ended with the first process: a third run gets past it (and stops at its own, different, error)
        let third = try bmru(["batch", manifest, "--out", out, "--resume", "--shard", "0/2", "--quiet"])
        #expect(third.status == 2 && third.stderr.contains("--shard") && !third.stderr.contains("another bmru batch"), "\(third.stderr)")
    }

    @Test("a full disk in a batch stops it with exit 2 naming the path and ENOSPC, records no false failure, and --resume after freeing space completes it")
    func batchDiskFull() throws {
        let dir = try TestEnvironment.temporaryDirectory("batch-full-manifest")
        let manifest = try BatchFixtures.sixJobs(in: dir)
        // a job folder is about 70 KiB: two or three fit
        let disk = try ScratchMount.tmpfs(kilobytes: 200, label: "batch-full")
        defer { disk.unmount() }
        let out = disk.path + "/out"
        let r = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--quiet"])
        #expect(r.status == 2, "exit \(r.status): \(r.stderr.suffix(1500))")
        #expect(r.stderr.contains("No space left on device") && r.stderr.contains(out + "/jobs/"), "\(r.stderr.suffix(1500))")
        #expect(!r.stderr.contains("died"), "\(r.stderr.suffix(1500))")
        #expect(Self.noRawDump(r.stderr))
        let jobsDir = out + "/jobs"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []
        #expect(!entries.contains { $0.hasPrefix(".") }, "temporary folders left: \(entries)")
        let done = Self.jobFolders(jobsDir)
        #expect(done.count < 6, "precondition not met: the disk did not fill up (\(done.count) jobs written)")
        for id in done {
            let res = try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: "\(jobsDir)/\(id)/result.json")))
            #expect(res.status == "ok", "job \(id) recorded as \(res.status): \(String(describing: res.error))")
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/junit.xml"), "a stopped batch must leave no junit.xml")

        try disk.resize(kilobytes: 4096)
        let resumed = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"])
        #expect(resumed.status == 0 || resumed.status == 1, "exit \(resumed.status): \(resumed.stderr.suffix(1500))")
        let summary = try BatchSummary.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        #expect(summary.jobs_done == 6 && summary.jobs_failed == 0 && summary.complete, "\(summary.jobs_done) done, \(summary.jobs_failed) failed")

        // a passing summary of an earlier run does not survive a run that stops on a full disk
        let dropped = try #require(Self.jobFolders(jobsDir).sorted().first)
        try FileManager.default.removeItem(atPath: jobsDir + "/" + dropped)
        let filler = disk.path + "/filler"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let fh = try #require(FileHandle(forWritingAtPath: filler))
        let block = Data(count: 64 << 10)
        var full = false
        while !full {
            do { try fh.write(contentsOf: block) } catch { full = true }
        }
        try? fh.close()
        let stopped = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"])
        #expect(stopped.status == 2 && stopped.stderr.contains("No space left on device"), "exit \(stopped.status): \(stopped.stderr.suffix(800))")
        for name in ["junit.xml", "summary.json", "summary.md", "summary.html"] {
            #expect(!FileManager.default.fileExists(atPath: out + "/" + name), "\(name) of the earlier run was left beside a stopped run")
        }
        #expect(!Self.jobFolders(jobsDir).contains(dropped))
        try FileManager.default.removeItem(atPath: filler)
        let again = try bmru(["batch", manifest, "--out", out, "--jobs", "2", "--resume", "--quiet"])
        #expect(again.status == 0 || again.status == 1, "exit \(again.status): \(again.stderr.suffix(800))")
        #expect(again.stderr.contains("5 already done, 1 to run"), "\(again.stderr.prefix(400))")
    }
}
