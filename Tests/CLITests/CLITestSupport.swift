// What the end-to-end tests of the `bmru` binary share: running it, a real disk that fills up or is read-only,
// and the checks of its error text.
import Foundation
import TestSupport

/// Runs the built `bmru` executable.
enum BMRU {
    /// `bmru ARGS` to completion. `models`: with $BMRU_MODELS set to the checked GF180MCU model folder (for
    /// commands that simulate), so a missing model folder fails here with the command that fixes it.
    static func run(_ args: [String], cwd: String? = nil, models: Bool = false) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.bmruExecutable(), args, cwd: cwd,
                                environment: models ? ["BMRU_MODELS": try TestEnvironment.modelsDirectory()] : nil)
    }

    /// `bmru cosim` of the shipped tiny network and stimulus into `out`, quietly, on the checked models.
    static func cosimTiny(_ out: String) throws -> TestEnvironment.ProcessOutput {
        try run(["cosim", TinyExample.network, "--input", TinyExample.stimulus, "--out", out, "--quiet"], models: true)
    }

    /// No Foundation error dump (NSError domains and user-info) in what the user reads.
    static func noRawDump(_ text: String) -> Bool {
        !text.contains("NSCocoaErrorDomain") && !text.contains("Error Domain=") && !text.contains("NSUnderlyingError")
    }

    /// The files of a folder and their bytes.
    static func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// The names in a folder, sorted (none when it does not exist).
    static func files(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }
}

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
