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
    public var reason: String

    public init(_ kind: Kind, file: String, reason: String) {
        self.kind = kind; self.file = file; self.reason = reason
    }

    public var description: String {
        file.isEmpty ? "\(kind.rawValue): \(reason)" : "\(file): \(kind.rawValue): \(reason)"
    }
}
