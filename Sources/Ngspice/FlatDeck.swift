// The flattened deck handed to ngspice, where each of its cards came from, and the redaction that keeps the
// text of included files out of error messages.
import Foundation

/// A deck ready for `ngSpice_Circ`: a title, circuit cards, `.end`; each card knows where it came from.
public struct FlatDeck: Sendable {
    public struct Origin: Sendable, Equatable {
        /// "" for the deck text itself
        public var file: String
        public var line: Int
        /// true for the deck the caller gave, false for included files
        public var given: Bool
    }

    /// the lines to load: title first, `.end` last
    public var lines: [String]
    /// where each line of `lines` came from (the title and `.end` count as the given deck's line 1 / last line)
    public var origins: [Origin]
    /// what was removed and never run, one sentence each (`.control` blocks, `*#` command lines)
    public var removed: [String]
    /// every file read, absolute paths in the order first read
    public var files: [String]

    /// the included files, parsed (their cards are what error text must not quote)
    var included: [SourceFile] = []

    /// Replaces every message line that quotes a card of an included file by a reference to its file and
    /// line: error text may quote the caller's own deck, never the contents of another file.
    /// `thorough` also catches a card quoted inside a longer line (slower; for the few lines of an error).
    public func redact(_ messages: [String], thorough: Bool = false) -> [String] {
        if included.isEmpty { return messages }
        return messages.map { message in
            var prefix = ""
            var body = Substring(message)
            for p in ["stdout ", "stderr "] where message.hasPrefix(p) {
                prefix = p
                body = body.dropFirst(p.count)
            }
            let n = FlatDeck.normalised(String(body))
            guard n.count >= 4 else { return message }
            for source in included {
                if let line = source.index[n] { return prefix + FlatDeck.reference(source.file, line) }
            }
            if thorough && n.count >= 6 {
                for source in included {
                    for (text, line) in source.index where text.count >= 6
                        && (n.contains(text) || (text.count >= 12 && text.contains(n))) {
                        return prefix + FlatDeck.reference(source.file, line)
                    }
                }
            }
            return message
        }
    }

    static func reference(_ file: String, _ line: Int) -> String {
        "(a card of \(file), line \(line); not shown)"
    }

    static func normalised(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
