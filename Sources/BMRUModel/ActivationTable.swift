// A table activation read from a CSV file: `x,y` lines, an optional header line, blank lines ignored.

import Foundation

public enum ActivationTable {
    /// Most points a table may have.
    public static let maxPoints = 100_000

    /// Parses `text` (from `file`, which errors name) into `.table`; every error names the line and the reason.
    public static func parse(_ text: String, file: String) throws(FormatError) -> ActivationFunction {
        var xs: [Double] = [], ys: [Double] = []
        var lineNumber = 0
        var sawHeader = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let where_ = "line \(lineNumber)"
            guard cells.count == 2 else {
                throw FormatError(file: file, field: where_, reason: "needs 2 comma-separated values x,y, has \(cells.count)", kind: .syntax)
            }
            guard let x = Double(cells[0]), let y = Double(cells[1]) else {
                if xs.isEmpty && !sawHeader && Double(cells[0]) == nil && Double(cells[1]) == nil { sawHeader = true; continue }
                throw FormatError(file: file, field: where_, reason: "'\(String(line.prefix(40)))' is not two numbers", kind: .syntax)
            }
            guard x.isFinite, y.isFinite else { throw FormatError(file: file, field: where_, reason: "values must be finite") }
            if let last = xs.last, x <= last {
                throw FormatError(file: file, field: where_, reason: "x must increase strictly (\(x) after \(last))")
            }
            if let last = ys.last, y < last {
                throw FormatError(file: file, field: where_, reason: "y must not decrease, a ramp ADC realises non-decreasing functions (\(y) after \(last))")
            }
            xs.append(x); ys.append(y)
            guard xs.count <= maxPoints else { throw FormatError(file: file, field: where_, reason: "more than \(maxPoints) points", kind: .limit) }
        }
        guard xs.count >= 2 else { throw FormatError(file: file, field: "", reason: "needs at least 2 points x,y, has \(xs.count)") }
        return .table(x: xs, y: ys)
    }
}
