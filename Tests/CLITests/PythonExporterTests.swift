// The Python exporter (python/analog_bmru) against the real binary: networks built in Python and exported pass
// `bmru validate`, and `bmru model` on them gives the NumPy reference's states exactly and its outputs to 1e-9;
// python/tests (the package's own unittest suite) passes. python3 with numpy missing is a failure naming the
// install command (TestEnvironment.python3WithNumpy), never a skip.
import Foundation
import TestSupport
import Testing

private enum PythonPackage {
    static var folder: String { TestEnvironment.packageRoot.appendingPathComponent("python").path }

    /// python3 with PYTHONPATH=python, from the package root, writing no __pycache__ into the tree.
    static func run(_ arguments: [String]) throws -> TestEnvironment.ProcessOutput {
        try TestEnvironment.run(try TestEnvironment.python3WithNumpy(), arguments, cwd: TestEnvironment.packageRoot.path,
                                environment: ["PYTHONPATH": folder, "PYTHONDONTWRITEBYTECODE": "1"])
    }
}

private struct UnreadableCSV: Error, CustomStringConvertible { var description: String }

/// A `bmru model` CSV (outputs or states): the header and the rows without the frame column, as numbers.
private func table(_ path: String) throws -> (header: [String], rows: [[Double]]) {
    let rows = try TinyExample.rows(path)
    let header = rows.first ?? []
    let values = try rows.dropFirst().enumerated().map { t, row -> [Double] in
        guard row.first == String(t) else { throw UnreadableCSV(description: "\(path): row \(t + 1) is frame \(row.first ?? "")") }
        return try row.dropFirst().map { cell in
            guard let x = Double(cell) else { throw UnreadableCSV(description: "\(path): \"\(cell)\" is not a number") }
            return x
        }
    }
    return (header, values)
}

/// Where `got` differs from `expected`: states must be equal, outputs within `relative` of the larger magnitude.
private func differences(expected: String, got: String, relative: Double) throws -> [String] {
    let e = try table(expected), g = try table(got)
    if e.header != g.header { return ["header \(g.header) != \(e.header)"] }
    if e.rows.count != g.rows.count { return ["\(g.rows.count) frames, expected \(e.rows.count)"] }
    var out = [String]()
    for (t, (er, gr)) in zip(e.rows, g.rows).enumerated() {
        for (c, (a, b)) in zip(er, gr).enumerated() where a != b && !(abs(a - b) <= relative * max(abs(a), abs(b))) {
            out.append("frame \(t), \(e.header[c + 1]): bmru \(b), python \(a)")
        }
    }
    return out
}

/// State transitions of every column of a states CSV.
private func transitions(_ path: String) throws -> [Int] {
    let s = try table(path).rows
    guard let width = s.first?.count else { return [] }
    return (0..<width).map { c in zip(s, s.dropFirst()).filter { $0.0[c] != $0.1[c] }.count }
}

@Suite("Python exporter")
struct PythonExporterTests {
    @Test("exported networks pass bmru validate; bmru model's states equal the NumPy reference's, outputs agree to 1e-9")
    func crossCheck() throws {
        let dir = try TestEnvironment.temporaryDirectory("python-export")
        let made = try PythonPackage.run([PythonPackage.folder + "/tests/cross_check.py", dir])
        try #require(made.status == 0, "cross_check.py failed: \(made.stderr)")

        // "plain": 3 inputs, dense relu 5, bmru 4, dense identity 2 (built from Dense/BMRU objects);
        // "residual": dense relu 4, bmru 4, dense relu 4 + residual of the first, dense identity 2 (from a
        // PyTorch-style state dict with nested names, tensor-like values and a transposed weight)
        for (name, layers) in [("plain", "pre dense 3→5 relu, cell bmru 5→4, out dense 4→2 identity"),
                               ("residual", "post dense 4→4 relu +pre")] {
            let net = "\(dir)/\(name).json", stim = "\(dir)/\(name)-stim.csv"
            let v = try BMRU.run(["validate", net])
            #expect(v.status == 0 && v.stdout.contains("valid bmru-network v1") && v.stdout.contains(layers),
                    "\(name): \(v.stdout) \(v.stderr)")
            #expect(v.stderr.isEmpty, "\(name): validate warned: \(v.stderr)")
            let out = "\(dir)/\(name)-bmru.csv", states = "\(dir)/\(name)-bmru-states.csv"
            let m = try BMRU.run(["model", net, "--input", stim, "-o", out, "--states", states])
            try #require(m.status == 0, "\(name): \(m.stderr)")

            // (counts in the expectations, so that a failure prints five differences, not all of them)
            let stateDiff = try differences(expected: "\(dir)/\(name)-states.csv", got: states, relative: 0)
            let differentStates = stateDiff.count
            #expect(differentStates == 0, "\(name): states differ, first: \(stateDiff.prefix(5))")
            let outputDiff = try differences(expected: "\(dir)/\(name)-outputs.csv", got: out, relative: 1e-9)
            let differentOutputs = outputDiff.count
            #expect(differentOutputs == 0, "\(name): outputs differ, first: \(outputDiff.prefix(5))")

            // not vacuous: 300 frames, every bmru unit switches at least 5 times, the outputs are not constant
            let counts = try transitions(states)
            #expect(counts.count == 4 && counts.allSatisfy { $0 >= 5 }, "\(name): state transitions per unit \(counts)")
            let rows = try table(out).rows
            #expect(rows.count == 300)
            // the first layer follows the continuous inputs; the last one (of discrete cell outputs in "plain") varies
            let first = Set(rows.map { $0[0] }), last = Set(rows.map { $0[$0.count - 1] })
            #expect(first.count > 100 && last.count > 1, "\(name): pre.0 takes \(first.count) values, the last output \(last.count)")
        }

        // control: the same comparison reports the difference when the reference belongs to another stimulus,
        // so an empty list above means agreement, not a comparison that cannot fail
        let other = "\(dir)/plain-other.csv", otherStates = "\(dir)/plain-other-states.csv"
        let m = try BMRU.run(["model", "\(dir)/plain.json", "--input", "\(dir)/residual-stim.csv", "-o", other, "--states", otherStates])
        try #require(m.status == 0, "\(m.stderr)")
        let controlStates = try differences(expected: "\(dir)/plain-states.csv", got: otherStates, relative: 0).count
        let controlOutputs = try differences(expected: "\(dir)/plain-outputs.csv", got: other, relative: 1e-9).count
        #expect(controlStates > 0 && controlOutputs > 0)

        // negative control: θ_low > θ_high is a ValueError naming the field in Python (layer constructor, state dict,
        // loader), and the same file written around the exporter is refused by bmru validate naming the same field
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/cases.json"))) as? [String: Any]
        let negative = cases?["negative"] as? [String: Any] ?? [:]
        for (key, field) in [("constructor", "cell.theta_low[0]"), ("state_dict", "cell.theta_low[0]"),
                             ("load", "layers[1].theta_low[2]")] {
            let message = negative[key] as? String
            #expect(message?.contains(field) == true && message?.contains("greater than") == true,
                    "\(key): \(String(describing: negative[key]))")
        }
        let bad = try BMRU.run(["validate", "\(dir)/bad-theta.json"])
        #expect(bad.status == 2 && bad.stderr.contains("bad-theta.json: layers[1].theta_low[2]"), "\(bad.stderr)")
    }

    @Test("python3 -m unittest discover python/tests passes")
    func unitTests() throws {
        let r = try PythonPackage.run(["-m", "unittest", "discover", "python/tests"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        // unittest reports on stderr; make sure the suite was found and ran
        let ran = r.stderr.split(separator: "\n").first { $0.hasPrefix("Ran ") }
        let count = ran.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(count >= 20 && r.stderr.contains("\nOK"), "\(ran ?? "no 'Ran N tests' line"): \(r.stderr)")
    }
}
