// What the noise tests of `bmru cosim` and `bmru batch` read back: the deck's input sources, waveforms.csv,
// the decisions recounted from traces.
import BMRUModel
import BatchTestSupport
import Foundation
import TestSupport
import Testing

/// Input-referred noise in co-simulation and batches. The draws themselves are checked against their written
/// definition in BMRUModelTests/InputNoiseTests; here `withInputNoise` is the reference for what the deck and the
/// model must have been driven with.
enum NoiseFixtures {
    static var tiny: Network { get throws { try NetworkFile.load(path: BatchFixtures.tinyNetwork) } }
    static var tinyStimulus: Stimulus { get throws { try StimulusFile.load(path: BatchFixtures.tinyStimulus, inputs: 2) } }

    /// The input currents (A) a deck's `iin_<i>` PWL sources drive, evaluated mid-frame, per frame and input.
    static func deckInputs(_ deckPath: String, inputs: Int, frames: Int, framePeriod: Double) throws -> [[Double]] {
        let lines = SpiceLines.logical(try String(contentsOfFile: deckPath, encoding: .utf8))
        var out = [[Double]](repeating: [Double](repeating: .nan, count: inputs), count: frames)
        for i in 0..<inputs {
            guard let line = lines.first(where: { $0.hasPrefix("iin_\(i) ") }),
                  let open = line.range(of: "pwl("), let close = line.range(of: ")", range: open.upperBound..<line.endIndex) else {
                Issue.record("deck has no PWL source iin_\(i)")
                continue
            }
            let numbers = line[open.upperBound..<close.lowerBound].split(separator: " ").compactMap { Double($0) }
            let points = stride(from: 0, to: numbers.count - 1, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
            for k in 0..<frames {
                let t = (Double(k) + 0.5) * framePeriod
                // piecewise linear, held after the last point
                var v = points.first?.1 ?? .nan
                for (a, b) in zip(points, points.dropFirst()) where t >= a.0 {
                    v = t >= b.0 ? b.1 : a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
                }
                out[k][i] = v
            }
        }
        return out
    }

    /// waveforms.csv as columns by header name.
    static func waveforms(_ path: String) throws -> [String: [Double]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var cols: [String: [Double]] = [:]
        for line in lines.dropFirst() {
            for (h, cell) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) {
                cols[h, default: []].append(Double(cell) ?? .nan)
            }
        }
        return cols
    }

    /// Argmax (lowest index on ties) per frame, then the most frequent class (lowest on ties).
    static func sequenceDecision(_ rows: [[Double]]) -> (frames: [Int], sequence: Int) {
        let f = rows.map { r in r.indices.reduce(0) { r[$1] > r[$0] ? $1 : $0 } }
        let classes = rows.first?.count ?? 1
        let counts = (0..<classes).map { c in f.filter { $0 == c }.count }
        return (f, counts.indices.reduce(0) { counts[$1] > counts[$0] ? $1 : $0 })
    }

    /// equal to the deck's 12 significant digits
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-11 * max(abs(b), 1e-15) }
}
