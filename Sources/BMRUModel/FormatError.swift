// The one error type of BMRUModel: a problem with an input file (network, architecture, tensors, stimulus).

/// A problem with an input file, naming the file, the field and the reason.
///
/// `field` is a JSON path such as `layers[2].weights[1][3]` for network files, a tensor name such as
/// `cell1.theta_low[2]` for tensor files, or `line 4, column 2` for CSV files. It is empty when the
/// problem concerns the whole file (for example it cannot be read).
public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable, Equatable {
        /// the file cannot be read or written
        case io
        /// the bytes are not valid JSON / CSV / safetensors / npz
        case syntax
        /// a key is unknown, missing, or has the wrong type
        case schema
        /// a value breaks a rule (shape, range, name, reference)
        case value
        /// a size limit guarding against hostile files
        case limit
    }

    public var file: String
    public var field: String
    public var reason: String
    public var kind: Kind

    public init(file: String, field: String, reason: String, kind: Kind = .value) {
        self.file = file; self.field = field; self.reason = reason; self.kind = kind
    }

    /// One line: `file: field: reason` (the field part is left out when empty).
    public var description: String {
        let oneLine = reason.replacingOccurrences(of: "\n", with: " ")
        return field.isEmpty ? "\(file): \(oneLine)" : "\(file): \(field): \(oneLine)"
    }
}
