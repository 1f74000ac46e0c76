// Input sequences for a network: one vector of input currents (model units) per frame.

import Foundation

/// Frames of input values in model units. Negative values are allowed; the network clips them to 0.
public struct Stimulus: Sendable, Equatable {
    /// frame-major: frames[t][i]
    public var frames: [[Double]]
    public var inputs: Int

    public init(frames: [[Double]], inputs: Int) {
        self.frames = frames; self.inputs = inputs
    }

    public var count: Int { frames.count }
}

/// Stimulus CSV files: a header row, then at least one row per frame with exactly `inputs` decimal numbers
/// (`DecimalText`: optional sign, digits, optional fraction, optional exponent; no hex, inf or nan), each of
/// magnitude at most `maxMagnitude` model units. A first header column named `frame` is taken as a frame
/// index column and ignored (it must still be a decimal number).
public enum StimulusFile {
    /// most frames accepted from a file (guards memory)
    public static let maxFrames = 10_000_000
    /// Largest |input| accepted, model units. The input mirrors are characterised up to 4 nA (4 units at the
    /// 1 nA unit current of the shipped networks, 40 units at the lowest characterised unit current 0.1 nA,
    /// see Netlist's `OperatingRange`); 1e3 units is 25 times beyond the largest characterised ratio and at
    /// 1 nA it is 1 µA, the hard current limit where the unit devices leave weak inversion. No trained
    /// network's input means anything there; larger values are taken for unit mistakes (amperes vs units).
    public static let maxMagnitude = 1e3
    public static let maxFileBytes = 1 << 30

    public static func load(path: String, inputs: Int?) throws -> Stimulus {
        let data = try NetworkFile.readFile(path, limit: maxFileBytes)
        return try parse(data, file: path, inputs: inputs)
    }

    /// Parses CSV text. `inputs`: the expected count of input columns, or nil to take it from the header.
    public static func parse(_ data: Data, file: String, inputs: Int?) throws -> Stimulus {
        func fail(_ field: String, _ reason: String, _ kind: FormatError.Kind = .value) -> FormatError {
            FormatError(file: file, field: field, reason: reason, kind: kind)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("", "is not UTF-8 text", .syntax)
        }
        // "\r\n" is one Character in Swift, so split on newline characters rather than on "\n"
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        guard let header = lines.first else { throw fail("", "is empty (expected a header row)", .syntax) }
        var names = header.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let indexColumn = names.first?.lowercased() == "frame"
        if indexColumn { names.removeFirst() }
        if let first = names.first, DecimalText.parse(first) != nil {
            throw fail("line 1", "looks like numbers; the first row must be a header (column names)", .syntax)
        }
        let width = names.count
        if let inputs, inputs != width {
            throw fail("line 1", "header has \(width) input columns, the network has \(inputs) inputs", .value)
        }
        if width < 1 { throw fail("line 1", "header names no input columns", .syntax) }
        if lines.count - 1 > maxFrames {
            throw fail("", "has \(lines.count - 1) frames, more than the limit of \(maxFrames)", .limit)
        }
        var frames = [[Double]]()
        frames.reserveCapacity(lines.count - 1)
        for (n, line) in lines.enumerated().dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            let expected = width + (indexColumn ? 1 : 0)
            guard cells.count == expected else {
                throw fail("line \(n + 1)", "has \(cells.count) columns, expected \(expected)", .syntax)
            }
            var row = [Double]()
            row.reserveCapacity(width)
            for (c, cell) in cells.enumerated() {
                let t = cell.trimmingCharacters(in: .whitespaces)
                let place = "line \(n + 1), column \(c + 1)"
                let shown = t.count > 40 ? String(t.prefix(40)) + "…" : t
                guard let x = DecimalText.parse(t) else {
                    throw fail(place, "\"\(shown)\" is not a decimal number (sign, digits, fraction, exponent; no hex, inf or nan)", .syntax)
                }
                if indexColumn && c == 0 { continue }
                guard x.isFinite, abs(x) <= maxMagnitude else {
                    throw fail(place, "\(shown) is outside the input range ±\(Int(maxMagnitude)) model units")
                }
                row.append(x)
            }
            frames.append(row)
        }
        if frames.isEmpty { throw fail("line 2", "no frames: the header must be followed by at least one row", .value) }
        return Stimulus(frames: frames, inputs: width)
    }

    /// CSV text: header `x0,x1,...`, one row per frame, numbers in shortest round-trip form.
    public static func csv(_ s: Stimulus) -> String {
        var out = (0..<s.inputs).map { "x\($0)" }.joined(separator: ",") + "\n"
        for row in s.frames {
            out += row.map(formatNumber).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Number text used in CSV outputs: shortest text that reads back as the same Double; -0 as 0.
    public static func formatNumber(_ x: Double) -> String {
        x == 0 ? "0" : x.description
    }

    /// Reproducible random stimulus: each value is 0 with probability `density`, otherwise uniform in
    /// (0, 1] model units. Depends only on the arguments (SeededGenerator).
    public static func random(inputs: Int, frames: Int, seed: UInt64, density: Double = 0) -> Stimulus {
        var g = SeededGenerator(seed: seed)
        var rows = [[Double]]()
        rows.reserveCapacity(frames)
        for _ in 0..<frames {
            var row = [Double](repeating: 0, count: inputs)
            for i in 0..<inputs {
                let zero = g.nextUnitDouble() < density
                let v = 1 - g.nextUnitDouble()  // (0, 1]
                row[i] = zero ? 0 : v
            }
            rows.append(row)
        }
        return Stimulus(frames: rows, inputs: inputs)
    }
}
