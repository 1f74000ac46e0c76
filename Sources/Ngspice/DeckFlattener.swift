import Foundation

// Decks are code: ngspice runs the commands of `.control` blocks and of `*#` lines, treats a deck whose
// first line is `*ng_script` as a script, and reads every file a `.include` or `.lib` names, quoting
// that file's lines in its error messages. So no deck text reaches ngspice as it was written. The flattener
// resolves the whole include / library tree in Swift, keeps only circuit cards of known kinds, and hands
// ngspice one flat list of cards: it never reads a file and never sees a command.
// This file holds the rules, the entry point (`DeckFlattener.flatten`) and the error it throws; `FlatDeck` (the result,
// and the redaction of error text) is in FlatDeck.swift, cutting a file into cards in DeckSource.swift, the walk
// over the cards that checks each against the rules in DeckExpansion.swift, and the resolution and reading of
// included files in DeckIncludes.swift.

/// Why a deck was refused before ngspice saw it.
public struct DeckError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// the deck is an ngspice script (`*ng_script` first line), not a circuit
        case script
        /// a card this tool does not pass to ngspice (unknown dot card, a model that reads files, ...)
        case refusedCard
        /// a line that is not a SPICE card (in an included file: its text is not quoted)
        case notSpice
        /// an `.include` / `.lib` file that does not exist, is not a regular file or cannot be read
        case missingFile
        /// a `.lib FILE SECTION` whose section is not in the file, or a section without `.endl`
        case missingSection
        /// includes nested too deeply or in a cycle
        case nesting
        /// the flattened deck would exceed the size limits
        case tooLarge
    }

    public var kind: Kind
    /// the file the offending line is in ("" for deck text that came from no file)
    public var file: String
    /// 1-based line number in `file`
    public var line: Int
    public var reason: String
    /// the offending line itself, only when it is a line of the deck the caller gave (never of an included file)
    public var quoted: String?
    /// the chain of includes that led to `file`, outermost first ("deck.sp line 3", ...)
    public var via: [String]

    public init(kind: Kind, file: String, line: Int, reason: String, quoted: String? = nil, via: [String] = []) {
        self.kind = kind; self.file = file; self.line = line; self.reason = reason; self.quoted = quoted; self.via = via
    }

    public var description: String {
        var s = file.isEmpty ? "line \(line)" : "\(file): line \(line)"
        if !via.isEmpty { s += " (included from \(via.joined(separator: ", ")))" }
        s += ": " + reason
        if let q = quoted { s += ": \(q)" }
        return s
    }
}

/// Resolves `.include` / `.lib` in Swift and keeps only circuit cards.
///
/// Rules, applied to the given deck and to every file it includes alike:
/// - `.control` … `.endc` blocks and `*#` lines (ngspice runs both as commands) are removed and listed in
///   `FlatDeck.removed`; every other comment line is dropped; a deck whose first line is `*ng_script` is refused.
/// - `.include FILE` / `.inc FILE` and `.lib FILE SECTION` are replaced by the cards they name, read by this
///   code; relative paths resolve from the folder of the file that names them (the given deck: `baseDirectory`).
///   A `.lib NAME` … `.endl` section definition is kept out unless a `.lib FILE NAME` asks for it.
/// - continuation lines (`+`) are joined to their card, so no card can begin inside another.
/// - every remaining card is an element (a letter, then at least one node) or a dot card from `allowedCards`;
///   models that read files (`filesource`, `d_source`, `d_state`, `table2d`, `table3d`) and any `file=`,
///   `input_file=` or `state_file=` parameter are refused. Anything else is refused with its file and line.
public enum DeckFlattener {
    /// dot cards passed to ngspice (the circuit language; none of them runs a command or reads a file)
    public static let allowedCards: Set<String> = [
        ".model", ".subckt", ".ends", ".param", ".func", ".global", ".csparam", ".temp",
        ".option", ".options", ".opt", ".tran", ".op", ".dc", ".ac", ".noise", ".tf", ".sens", ".pz",
        ".disto", ".sp", ".four", ".fourier", ".meas", ".measure", ".save", ".print", ".plot", ".probe",
        ".ic", ".nodeset", ".width", ".title", ".if", ".elseif", ".else", ".endif",
    ]
    /// XSPICE code models that read a file named in their parameters
    public static let fileReadingModels: Set<String> = ["filesource", "d_source", "d_state", "table2d", "table3d"]

    public static let maxDepth = 16
    public static let maxFileBytes = 64 << 20
    public static let maxTotalBytes = 512 << 20
    public static let maxCards = 4_000_000
    public static let maxCardBytes = 1 << 20

    /// Flattens `text`. `baseDirectory` resolves the given deck's relative includes; `name` is how errors
    /// name the given deck (its path, or "" for text that came from no file).
    public static func flatten(text: String, baseDirectory: String, name: String = "") throws -> FlatDeck {
        var state = Expansion()
        let given = try SourceFile.parse(Data(text.utf8), file: name, given: true)
        if let title = given.title, title.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("*ng_script") {
            throw DeckError(kind: .script, file: name, line: 1,
                            reason: "is an ngspice script (first line *ng_script), not a circuit; scripts are not run")
        }
        state.out.append(safeTitle(given.title ?? ""))
        state.origins.append(FlatDeck.Origin(file: name, line: 1, given: true))
        let base = baseDirectory.isEmpty ? FileManager.default.currentDirectoryPath : baseDirectory
        try state.expand(given, folder: base, section: nil, depth: 0, via: [])
        state.out.append(".end")
        state.origins.append(FlatDeck.Origin(file: name, line: state.endLine ?? given.lastLine, given: true))
        return FlatDeck(lines: state.out, origins: state.origins, removed: state.removed, files: state.files,
                        included: state.sources)
    }

    /// The title line ngspice gets: the deck's title with only plain characters kept.
    static func safeTitle(_ title: String) -> String {
        let kept = title.unicodeScalars.filter { s in
            (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x41 && s.value <= 0x5a) || (s.value >= 0x61 && s.value <= 0x7a)
                || " _-.,:()=+/".unicodeScalars.contains(s)
        }
        let t = String(String.UnicodeScalarView(kept)).trimmingCharacters(in: .whitespaces)
        return "bmru deck" + (t.isEmpty ? "" : ": " + String(t.prefix(200)))
    }
}
