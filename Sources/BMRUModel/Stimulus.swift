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

/// Stimulus CSV files: a header row, then one row per frame with exactly `inputs` finite numbers.
/// A first header column named `frame` is taken as a frame index column and ignored.
public enum StimulusFile {
    /// most frames accepted from a file (guards memory)
    public static let maxFrames = 10_000_000
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
        if let first = names.first, Double(first) != nil {
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
                if indexColumn && c == 0 { continue }
                let t = cell.trimmingCharacters(in: .whitespaces)
                guard let x = Double(t) else {
                    throw fail("line \(n + 1), column \(c + 1)", "\"\(t)\" is not a number", .syntax)
                }
                guard x.isFinite else { throw fail("line \(n + 1), column \(c + 1)", "\"\(t)\" is not a finite number") }
                row.append(x)
            }
            frames.append(row)
        }
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
