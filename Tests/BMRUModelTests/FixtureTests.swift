// Every validation rule has a failing example file under Fixtures/invalid/; each must fail with the
// expected field (JSON path) and a reason mentioning the rule.

import Foundation
import Testing
@testable import BMRUModel

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// file name -> (expected field, a word the reason must contain)
let invalidExpectations: [String: (field: String, reason: String)] = [
    "syntax-trailing-comma": ("", "invalid JSON"),
    "syntax-duplicate-key": ("", "duplicate key \"inputs\""),
    "unknown-top-key": ("input", "unknown key"),
    "unknown-layer-key": ("layers[1].theta_hihg", "unknown key"),
    "key-of-other-kind": ("layers[0].level", "not allowed in a dense layer"),
    "missing-key": ("layers[0].bias", "missing"),
    "missing-top-key": ("frame_period", "missing"),
    "wrong-type": ("layers[0].weights", "expected an array"),
    "wrong-type-element": ("layers[0].weights[1][1]", "expected a number"),
    "format": ("format", "expected \"bmru-network\""),
    "version": ("version", "only version 1"),
    "kind": ("layers[0].kind", "\"dense\" or \"bmru\""),
    "activation": ("layers[0].activation", "\"relu\" or \"identity\""),
    "inputs-zero": ("inputs", "at least 1"),
    "inputs-not-integer": ("inputs", "integer"),
    "inputs-limit": ("inputs", "limit"),
    "network-name": ("name", "not a valid network name"),
    "layer-name-pattern": ("layers[1].name", "not a valid layer name"),
    "layer-name-length": ("layers[1].name", "not a valid layer name"),
    "layer-name-duplicate": ("layers[2].name", "unique"),
    "layer-name-reserved": ("layers[1].name", "reserved"),
    "no-layers": ("layers", "at least one layer"),
    "empty-layer": ("layers[0].weights", "at least one row"),
    "shape-columns": ("layers[1].weights[1]", "has 3 columns, expected 2"),
    "shape-first-layer": ("layers[0].weights[0]", "expected 3"),
    "shape-bias": ("layers[0].bias", "has 3 entries, expected 2"),
    "shape-theta": ("layers[1].theta_high", "has 1 entries, expected 2"),
    "shape-level": ("layers[1].level", "has 3 entries"),
    "shape-initial-state": ("layers[1].initial_state", "has 1 entries"),
    "number-not-finite": ("layers[0].bias[1]", "finite"),
    "theta-order": ("layers[1].theta_low[1]", "greater than θ_high"),
    "theta-negative": ("layers[1].theta_low[0]", "≥ 0"),
    "level-negative": ("layers[1].level[1]", "≥ 0"),
    "initial-state-binary": ("layers[1].initial_state[1]", "0 or 1"),
    "residual-unknown": ("layers[2].residual", "not a layer"),
    "residual-not-earlier": ("layers[2].residual", "not an earlier layer"),
    "residual-width": ("layers[3].residual", "must be equal"),
    "residual-on-bmru": ("layers[1].residual", "not allowed in a bmru layer"),
    "identity-not-last": ("layers[0].activation", "only on the last layer"),
    "unit-current-high": ("unit_current", "(1e-15, 1e-3]"),
    "unit-current-low": ("unit_current", "(1e-15, 1e-3]"),
    "frame-period": ("frame_period", "> 0"),
    "metadata-not-object": ("metadata", "expected an object"),
    "limit-layers": ("layers", "limit"),
    "limit-units": ("layers[0].weights", "limit"),
    "limit-nesting": ("", "nesting deeper"),
]

@Suite struct FixtureTests {
    @Test func theValidBaseFileIsValid() throws {
        let n = try NetworkFile.load(path: fixtures.appendingPathComponent("valid.json").path)
        #expect(n.layers.count == 4)
    }

    @Test func everyInvalidFixtureFailsWithItsFieldAndReason() throws {
        let dir = fixtures.appendingPathComponent("invalid")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(invalidExpectations.keys), "fixtures and table disagree")
        for file in files.sorted() {
            let path = dir.appendingPathComponent(file).path
            let key = String(file.dropLast(5))
            guard let expected = invalidExpectations[key] else { continue }
            do {
                _ = try NetworkFile.load(path: path)
                Issue.record("\(file) was accepted")
            } catch let e as FormatError {
                #expect(e.file == path, "\(file)")
                #expect(e.field == expected.field, "\(file): \(e)")
                #expect(e.reason.contains(expected.reason), "\(file): \(e)")
                #expect(!e.description.contains("\n"))
            }
        }
    }

    /// A file over the parameter limit would be tens of megabytes, so this one rule is checked in memory
    /// (rows share storage, so the test itself stays small).
    @Test func parameterLimit() {
        let row = [Double](repeating: 0.5, count: 4096)
        var layers = [Layer]()
        for k in 0..<3 {
            layers.append(Layer(name: "l\(k)", kind: .dense, weights: Array(repeating: row, count: 1000),
                                bias: Array(repeating: 0, count: 1000)))
        }
        layers[0].weights = Array(repeating: [Double](repeating: 0.5, count: 4096), count: 1000)
        layers[1].weights = Array(repeating: [Double](repeating: 0.5, count: 1000), count: 4096)
        layers[1].bias = Array(repeating: 0, count: 4096)
        layers[2].weights = Array(repeating: [Double](repeating: 0.5, count: 4096), count: 1000)
        let n = Network(name: "big", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 4096, layers: layers)
        let problems = NetworkFile.validate(n, file: "mem")
        #expect(problems.count == 1)
        #expect(problems.first?.field == "layers")
        #expect(problems.first?.reason.contains("parameters") == true)
    }

    @Test func allProblemsAreReported() throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("valid.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"inputs\": 2", with: "\"inputs\": 3")
            .replacingOccurrences(of: "\"level\": [\n    1,", with: "\"level\": [\n    -1,")
        let n = try NetworkFile.decodeStructure(Data(text.utf8), file: "x")
        let fields = NetworkFile.validate(n, file: "x").map(\.field)
        #expect(fields == ["layers[0].weights[0]", "layers[0].weights[1]", "layers[1].level[0]"])
    }

    @Test(arguments: [
        ("not-a-number.csv", "line 3, column 2"), ("short-row.csv", "line 3"), ("not-finite.csv", "line 3, column 2"),
        ("no-header.csv", "line 1"), ("wrong-width.csv", "line 1"), ("empty.csv", ""),
    ])
    func invalidStimuli(file: String, field: String) {
        let path = fixtures.appendingPathComponent("invalid-stimulus").appendingPathComponent(file).path
        do {
            _ = try StimulusFile.load(path: path, inputs: 2)
            Issue.record("\(file) accepted")
        } catch let e as FormatError {
            #expect(e.file == path)
            #expect(e.field == field, "\(e)")
        } catch { Issue.record("\(error)") }
    }
}
