import Foundation
import Testing
@testable import BMRUModel

let exampleJSON = """
{ "format": "bmru-network", "version": 1, "name": "kws-yes",
  "unit_current": 1e-9, "frame_period": 0.01, "inputs": 2,
  "layers": [
    {"name": "pre", "kind": "dense", "weights": [[1, 0.5], [-0.25, 2]], "bias": [0, 0.125]},
    {"name": "cell1", "kind": "bmru", "weights": [[1, 0], [0, 1]], "bias": [0, 0],
     "theta_low": [0.1, 0.2], "theta_high": [0.3, 0.2], "level": [1, 2]},
    {"name": "post1", "kind": "dense", "weights": [[1, 0], [0, 1]], "bias": [0, 0], "activation": "relu",
     "residual": "pre"},
    {"name": "out", "kind": "dense", "weights": [[1, -1]], "bias": [0], "activation": "identity"}
  ],
  "metadata": {"trained": "2026-01-01", "acc": [0.9, 1e-3], "nested": {"a": null}} }
"""

@Suite struct NetworkFileTests {
    @Test func decodeAppliesDefaults() throws {
        let n = try NetworkFile.decode(Data(exampleJSON.utf8), file: "ex.json")
        #expect(n.name == "kws-yes" && n.inputs == 2 && n.unitCurrent == 1e-9 && n.framePeriod == 0.01)
        #expect(n.layers.map(\.name) == ["pre", "cell1", "post1", "out"])
        #expect(n.layers[0].activation == .relu)           // default
        #expect(n.layers[1].initialState == [0, 0])        // default
        #expect(n.layers[2].residual == "pre")
        #expect(n.layers[3].activation == .identity)
        #expect(n.layers[0].weights == [[1, 0.5], [-0.25, 2]])
        #expect(n.metadataJSON == #"{"trained": "2026-01-01", "acc": [0.9, 1e-3], "nested": {"a": null}}"#)
    }

    @Test func encodeRoundTripsAndIsDeterministic() throws {
        let n = try NetworkFile.decode(Data(exampleJSON.utf8), file: "ex.json")
        let a = try NetworkFile.encode(n)
        let b = try NetworkFile.encode(try NetworkFile.decode(a, file: "a.json"))
        #expect(a == b)
        #expect(try NetworkFile.decode(a, file: "a.json") == n)
        // the text is valid JSON for a second parser too
        let obj = try JSONSerialization.jsonObject(with: a) as? [String: Any]
        #expect(obj?["name"] as? String == "kws-yes")
    }

    @Test func awkwardNumbersRoundTripExactly() throws {
        var n = try NetworkFile.decode(Data(exampleJSON.utf8), file: "ex.json")
        // the largest magnitude a network file accepts is NetworkLimits.maxMagnitude = 1e6 units
        n.layers[0].weights = [[0.1, 1.0 / 3.0], [-Double.leastNonzeroMagnitude, 1e6]]
        n.layers[0].bias = [-0.0, 123456.789123456789]
        let back = try NetworkFile.decode(try NetworkFile.encode(n), file: "x")
        #expect(back.layers[0].weights == n.layers[0].weights)
        #expect(back.layers[0].bias == n.layers[0].bias)
    }

    @Test func unknownKeyIsAnErrorNamingThePath() {
        let bad = exampleJSON.replacingOccurrences(of: #""theta_high""#, with: #""theta_hihg""#)
        do {
            _ = try NetworkFile.decode(Data(bad.utf8), file: "typo.json")
            Issue.record("decoded a file with a typo")
        } catch let e as FormatError {
            #expect(e.file == "typo.json")
            #expect(e.field == "layers[1].theta_hihg")
            #expect(e.reason.contains("unknown key"))
        } catch { Issue.record("unexpected error \(error)") }
    }

    @Test func aDifferentFormatIsReportedAsSuch() {
        let other = #"{"format": "onnx-json", "version": 7, "graph": {}}"#
        #expect(throws: FormatError(file: "o.json", field: "format", reason: "is \"onnx-json\", expected \"bmru-network\"")) {
            try NetworkFile.decode(Data(other.utf8), file: "o.json")
        }
        let newer = #"{"format": "bmru-network", "version": 2, "graph": {}}"#
        #expect(throws: FormatError(file: "n.json", field: "version", reason: "is 2, only version 1 is supported")) {
            try NetworkFile.decode(Data(newer.utf8), file: "n.json")
        }
    }
}
