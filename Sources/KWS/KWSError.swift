// Errors of the KWS module: one public type with a kind and the evidence (file and reason).

/// An error from speech data, features or training.
public struct KWSError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// a WAV file that cannot be used (wrong rate, stereo, truncated, empty, not PCM, ...)
        case badAudio
        /// a dataset directory that does not have the expected layout or enough data
        case badDataset
        /// espeak-ng missing or failing
        case synthesis
        /// invalid training options or a network the trainer cannot handle
        case training
        /// reading or writing a file failed
        case io
        /// a training checkpoint that cannot be resumed (other options, other data, damaged)
        case checkpoint
        /// training was stopped on request (e.g. SIGINT) after writing its checkpoint
        case interrupted
    }
    public var kind: Kind
    /// the file concerned ("" when none)
    public var file: String
    /// the field of the file concerned, e.g. `fmt.sample_rate`, `data.size` ("" when none)
    public var field: String
    public var reason: String

    public init(_ kind: Kind, file: String, field: String = "", reason: String) {
        self.kind = kind; self.file = file; self.field = field; self.reason = reason
    }

    public var description: String {
        let what = field.isEmpty ? reason : "\(field): \(reason)"
        return file.isEmpty ? "\(kind.rawValue): \(what)" : "\(file): \(kind.rawValue): \(what)"
    }
}
