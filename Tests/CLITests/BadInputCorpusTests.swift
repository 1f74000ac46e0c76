import Foundation
import TestSupport
import Testing

/// The bad-input corpus: `Tests/Fixtures/bad-inputs/<kind>/<case>/` holds a case's input files and its
/// `case.json`:
///
///     {"args": ["validate", "net.json"], "exit": 2, "stderr": ["net.json", "layers[0].w"], "why": "…"}
///
/// Each case runs `bmru ARGS` in a fresh folder holding a copy of `_shared/` and of the case's files.
/// `{out}` in an argument is a path in that folder that must not exist afterwards. The run must end with
/// the expected status (not a signal), within the time limit, with every `stderr` string in its error
/// output, and leave every file of the folder as it was: nothing written, nothing half-written.
struct CorpusCase: Sendable, CustomStringConvertible, Decodable {
    var args: [String]
    var exit: Int32
    var stderr: [String]
    var why: String
    var path: String = ""
    var description: String { path }

    enum CodingKeys: String, CodingKey { case args, exit, stderr, why }
}

enum Corpus {
    static let root = TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/bad-inputs")

    static func cases() -> [CorpusCase] {
        var out: [CorpusCase] = []
        let fm = FileManager.default
        guard let kinds = try? fm.contentsOfDirectory(atPath: root.path) else { return [] }
        for kind in kinds.sorted() where kind != "_shared" && !kind.hasPrefix(".") {
            guard let names = try? fm.contentsOfDirectory(atPath: root.path + "/" + kind) else { continue }
            for name in names.sorted() {
                let file = root.path + "/\(kind)/\(name)/case.json"
                guard let data = fm.contents(atPath: file) else { continue }
                do {
                    var c = try JSONDecoder().decode(CorpusCase.self, from: data)
                    c.path = "\(kind)/\(name)"
                    out.append(c)
                } catch {
                    out.append(CorpusCase(args: [], exit: -1, stderr: ["unreadable case.json: \(error)"], why: "", path: "\(kind)/\(name)"))
                }
            }
        }
        return out
    }

    /// Every regular file below `dir`: relative path -> contents.
    static func snapshot(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir) else { return out }
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = fm.contents(atPath: dir + "/" + rel) ?? Data()
            } else if isDir.boolValue {
                out[rel + "/"] = Data()
            }
        }
        return out
    }

    static func copyContents(of source: String, into dir: String) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: source) else { return }
        for item in try fm.contentsOfDirectory(atPath: source) where item != "case.json" {
            try fm.copyItem(atPath: source + "/" + item, toPath: dir + "/" + item)
        }
    }
}

/// Runs a program with a wall-clock limit; a run over it is killed and reported as status -1.
private func run(_ program: String, _ args: [String], cwd: String, limit: Double) throws -> (status: Int32, signalled: Bool, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    let errPipe = Pipe()
    p.standardError = errPipe
    p.standardOutput = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
    let err = errPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    killer.cancel()
    return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: err, as: UTF8.self))
}

@Suite("Bad-input corpus")
struct BadInputCorpusTests {
    @Test("the corpus holds at least 150 cases over every input kind")
    func size() {
        let cases = Corpus.cases()
        #expect(cases.count >= 150, "\(cases.count) cases")
        let kinds = Set(cases.map { $0.path.split(separator: "/")[0] })
        for kind in ["network", "stimulus", "tensor", "wav", "manifest", "calibration", "deck"] {
            #expect(kinds.contains(Substring(kind)), "no \(kind) cases")
        }
    }

    @Test("positive control: the same harness on a valid network exits 0 and writes {out}, so its checks can fail")
    func positiveControl() throws {
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("corpus-good")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path,
                                         toPath: dir + "/net.json")
        let before = Corpus.snapshot(dir)
        let r = try run(bmru, ["netlist", "net.json", "-o", dir + "/out"], cwd: dir, limit: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/out"))
        #expect(Set(Corpus.snapshot(dir).keys) != Set(before.keys))
    }

    @Test("every bad input is refused with its status and field, and nothing is written", arguments: Corpus.cases())
    func refused(_ c: CorpusCase) throws {
        #expect(c.exit >= 0, "\(c.stderr)")
        guard c.exit >= 0 else { return }
        let bmru = try TestEnvironment.bmruExecutable()
        let dir = try TestEnvironment.temporaryDirectory("corpus")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Corpus.copyContents(of: Corpus.root.path + "/_shared", into: dir)
        try Corpus.copyContents(of: Corpus.root.path + "/" + c.path, into: dir)
        let before = Corpus.snapshot(dir)
        let out = dir + "/out"
        let args = c.args.map { $0.replacingOccurrences(of: "{out}", with: out) }
        _ = try TestEnvironment.modelsDirectory()  // a missing model folder fails here with the fix, not per case
        let r = try run(bmru, args, cwd: dir, limit: 60)
        #expect(!r.signalled, "killed by a signal (crash or time limit): \(r.stderr.suffix(400))")
        #expect(r.status == c.exit, "exit \(r.status), expected \(c.exit): \(r.stderr.suffix(400))")
        for needle in c.stderr {
            #expect(r.stderr.contains(needle), "stderr lacks \"\(needle)\": \(r.stderr.suffix(400))")
        }
        #expect(!FileManager.default.fileExists(atPath: out), "\(out) was written")
        let after = Corpus.snapshot(dir)
        #expect(Set(after.keys) == Set(before.keys), "files added or removed: \(Set(after.keys).symmetricDifference(before.keys).sorted())")
        for (k, v) in before where after[k] != v {
            Issue.record("\(k) was changed")
        }
    }
}
