import Foundation

// Decks are code: ngspice runs the commands of `.control` blocks and of `*#` lines, treats a deck whose
// first line is `*ng_script` as a script, and reads every file a `.include` or `.lib` names, quoting
// that file's lines in its error messages. So no deck text reaches ngspice as it was written. This file
// resolves the whole include / library tree in Swift, keeps only circuit cards of known kinds, and hands
// ngspice one flat list of cards: it never reads a file and never sees a command.

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

/// One file (or the given text) cut into logical cards.
struct SourceFile: Sendable {
    struct Card: Sendable {
        var text: String
        /// first physical line of the card
        var line: Int
        /// first token, lower-cased
        var keyword: String
    }

    var file: String
    var given: Bool
    var title: String?
    var cards: [Card]
    /// `.lib NAME` … `.endl` definitions: lower-cased name -> card indices strictly inside
    var sections: [String: Range<Int>]
    /// card indices that belong to a section definition (including its `.lib` and `.endl` cards)
    var inSection: IndexSet
    var removed: [String]
    var lastLine: Int
    /// normalised card text -> its line (for `FlatDeck.redact`)
    var index: [String: Int] = [:]

    static func parse(_ data: Data, file: String, given: Bool) throws -> SourceFile {
        let where_ = file.isEmpty ? "the deck" : file
        func fail(_ kind: DeckError.Kind, _ line: Int, _ reason: String, quote: String? = nil) -> DeckError {
            DeckError(kind: kind, file: file, line: line, reason: reason, quoted: given ? quote.map(clip) : nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail(.notSpice, 1, "is not UTF-8 text")
        }
        var physical = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        if physical.last?.isEmpty == true { physical.removeLast() }
        var sf = SourceFile(file: file, given: given, title: nil, cards: [], sections: [:], inSection: IndexSet(),
                            removed: [], lastLine: max(physical.count, 1))
        var controlStart: Int?
        for (index, raw) in physical.enumerated() {
            let number = index + 1
            if let bad = raw.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
                throw fail(.notSpice, number, "has a control character (U+\(String(format: "%04X", bad.value)))")
            }
            if given && index == 0 {
                sf.title = String(raw)
                continue
            }
            let trimmed = raw.drop(while: { $0 == " " || $0 == "\t" })
            let lower = trimmed.lowercased()
            if let start = controlStart {
                if lower.hasPrefix(".endc") {
                    sf.removed.append("\(where_) lines \(start)-\(number): a .control block (ngspice commands), not run")
                    controlStart = nil
                }
                continue
            }
            if lower.hasPrefix(".control") { controlStart = number; continue }
            if lower.hasPrefix("*#") {
                sf.removed.append("\(where_) line \(number): a *# line (an ngspice command), not run")
                continue
            }
            if trimmed.isEmpty || trimmed.hasPrefix("*") { continue }
            if trimmed.hasPrefix("+") {
                guard !sf.cards.isEmpty else {
                    throw fail(.notSpice, number, "continues no card", quote: String(raw))
                }
                sf.cards[sf.cards.count - 1].text += " " + trimmed.dropFirst()
                if sf.cards[sf.cards.count - 1].text.utf8.count > DeckFlattener.maxCardBytes {
                    throw fail(.tooLarge, number, "card longer than \(DeckFlattener.maxCardBytes) bytes")
                }
                continue
            }
            let keyword = String(lower.prefix(while: { $0 != " " && $0 != "\t" && $0 != "(" }))
            sf.cards.append(Card(text: String(trimmed), line: number, keyword: keyword))
            if sf.cards.count > DeckFlattener.maxCards {
                throw fail(.tooLarge, number, "more than \(DeckFlattener.maxCards) cards")
            }
        }
        if let start = controlStart {
            sf.removed.append("\(where_) lines \(start)-\(sf.lastLine): a .control block without .endc, not run")
        }
        try sf.indexSections(fail)
        if !given {
            for card in sf.cards {
                let n = FlatDeck.normalised(card.text)
                if sf.index[n] == nil { sf.index[n] = card.line }
            }
        }
        return sf
    }

    private mutating func indexSections(_ fail: (DeckError.Kind, Int, String, String?) -> DeckError) throws {
        var open: (name: String, card: Int)?
        for (i, card) in cards.enumerated() {
            if card.keyword.hasPrefix(".lib") && !card.keyword.hasPrefix(".endl") {
                let args = DeckArguments.split(card.text)
                if args.count == 2 {  // `.lib NAME`: a section definition starts
                    if let o = open {
                        throw fail(.missingSection, cards[o.card].line, "section \(o.name) has no .endl before line \(card.line)", nil)
                    }
                    open = (args[1].lowercased(), i)
                }
            } else if card.keyword.hasPrefix(".endl") {
                if let o = open {
                    if sections[o.name] == nil { sections[o.name] = (o.card + 1)..<i }
                    inSection.insert(integersIn: o.card...i)
                    open = nil
                } else {
                    inSection.insert(i)  // a stray .endl: dropped
                }
            }
        }
        if let o = open {
            throw fail(.missingSection, cards[o.card].line,
                       "section \(o.name) has no .endl (.lib NAME opens a section; to use a library section write .lib FILE SECTION)", nil)
        }
    }
}

private func clip(_ s: String) -> String { s.count > 200 ? String(s.prefix(200)) + "…" : s }

/// Splits a card into words; a word in single or double quotes may hold spaces.
enum DeckArguments {
    static func split(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "\"" || c == "'" { quote = c; inWord = true; continue }
            if c == " " || c == "\t" {
                if inWord { out.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { out.append(current) }
        return out
    }
}

/// Parsed library files, kept while their size and modification time stay the same (the model library is
/// read by every run).
final class SourceCache: @unchecked Sendable {
    static let shared = SourceCache()
    private let lock = NSLock()
    private var entries: [String: (size: Int, modified: Date, file: SourceFile)] = [:]

    func get(_ path: String, size: Int, modified: Date) -> SourceFile? {
        lock.lock(); defer { lock.unlock() }
        guard let e = entries[path], e.size == size, e.modified == modified else { return nil }
        return e.file
    }

    func put(_ path: String, size: Int, modified: Date, file: SourceFile) {
        lock.lock(); defer { lock.unlock() }
        if entries.count > 64 { entries.removeAll() }
        entries[path] = (size, modified, file)
    }
}

private struct Expansion {
    var out: [String] = []
    var origins: [FlatDeck.Origin] = []
    var removed: [String] = []
    var files: [String] = []
    var sources: [SourceFile] = []
    var totalBytes = 0
    var stack: [String] = []
    var ended = false
    var endLine: Int?

    mutating func expand(_ source: SourceFile, folder: String, section: String?, depth: Int, via: [String]) throws {
        func fail(_ kind: DeckError.Kind, _ card: SourceFile.Card, _ reason: String) -> DeckError {
            DeckError(kind: kind, file: source.file, line: card.line, reason: reason,
                      quoted: source.given ? clip(card.text) : nil, via: via)
        }
        removed += source.removed
        let indices: [Int]
        if let section {
            guard let range = source.sections[section] else {
                throw DeckError(kind: .missingSection, file: source.file, line: 1,
                                reason: "has no section \(section) (.lib \(section) … .endl)", via: via)
            }
            indices = Array(range)
        } else {
            indices = source.cards.indices.filter { !source.inSection.contains($0) }
        }
        let here = source.file.isEmpty ? "the deck" : source.file
        for i in indices {
            let card = source.cards[i]
            let k = card.keyword
            if k.hasPrefix(".inc") || (k.hasPrefix(".lib") && !k.hasPrefix(".endl")) {
                let args = DeckArguments.split(card.text)
                let isLib = k.hasPrefix(".lib")
                if isLib && args.count == 2 { continue }  // a nested section definition inside a section: ngspice ignores it too
                guard args.count >= 2 else { throw fail(.refusedCard, card, "\(k) names no file") }
                let wanted: String? = isLib ? (args.count >= 3 ? args[2].lowercased() : nil) : nil
                if isLib && wanted == nil { throw fail(.refusedCard, card, ".lib needs a file and a section") }
                try include(path: args[1], section: wanted, from: folder, card: card, source: source, depth: depth,
                            via: via + ["\(here) line \(card.line)"])
                if ended { return }
                continue
            }
            if k.hasPrefix(".endl") || k.hasPrefix(".endc") { continue }
            if k == ".end" {
                if source.given && depth == 0 { ended = true; endLine = card.line; return }
                continue
            }
            if k.hasPrefix(".") {
                guard DeckFlattener.allowedCards.contains(k) else {
                    throw fail(.refusedCard, card, "\(k) is not a circuit card this tool passes to ngspice")
                }
                if k == ".model" {
                    let args = DeckArguments.split(card.text.replacingOccurrences(of: "(", with: " "))
                    if args.count >= 3, DeckFlattener.fileReadingModels.contains(args[2].lowercased()) {
                        throw fail(.refusedCard, card, "model type \(args[2]) reads a file; refused")
                    }
                }
            } else {
                guard let first = k.unicodeScalars.first, CharacterSet.letters.contains(first), first.isASCII else {
                    throw fail(.notSpice, card, "is not a SPICE card (an element or a dot card)")
                }
                guard DeckArguments.split(card.text).count >= 2 else {
                    throw fail(.notSpice, card, "is not a SPICE card (an element needs nodes)")
                }
            }
            if card.text.range(of: #"(^|[\s(,])(input_|state_)?file\s*="#, options: [.regularExpression, .caseInsensitive]) != nil {
                throw fail(.refusedCard, card, "a file= parameter makes ngspice read a file; refused")
            }
            out.append(card.text)
            origins.append(FlatDeck.Origin(file: source.file, line: card.line, given: source.given))
        }
    }

    mutating func include(path raw: String, section: String?, from folder: String, card: SourceFile.Card,
                          source: SourceFile, depth: Int, via: [String]) throws {
        func fail(_ kind: DeckError.Kind, _ reason: String) -> DeckError {
            DeckError(kind: kind, file: source.file, line: card.line, reason: reason,
                      quoted: source.given ? clip(card.text) : nil, via: Array(via.dropLast()))
        }
        guard depth + 1 <= DeckFlattener.maxDepth else {
            throw fail(.nesting, "includes nested deeper than \(DeckFlattener.maxDepth)")
        }
        let path = URL(fileURLWithPath: raw.hasPrefix("/") ? raw : folder + "/" + raw).standardized.path
        let key = path + "#" + (section ?? "")
        guard !stack.contains(key) else {
            throw fail(.nesting, "includes \(path)\(section.map { " section " + $0 } ?? "") inside itself")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw fail(.missingFile, "included file \(path) does not exist")
        }
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        guard !isDir.boolValue, (attrs?[.type] as? FileAttributeType) == .typeRegular else {
            throw fail(.missingFile, "included \(path) is not a regular file")
        }
        let size = (attrs?[.size] as? NSNumber)?.intValue ?? 0
        let modified = (attrs?[.modificationDate] as? Date) ?? .distantPast
        guard size <= DeckFlattener.maxFileBytes else {
            throw fail(.tooLarge, "included file \(path) is larger than \(DeckFlattener.maxFileBytes >> 20) MiB")
        }
        totalBytes += size
        guard totalBytes <= DeckFlattener.maxTotalBytes else {
            throw fail(.tooLarge, "the included files add up to more than \(DeckFlattener.maxTotalBytes >> 20) MiB")
        }
        let parsed: SourceFile
        if let cached = SourceCache.shared.get(path, size: size, modified: modified) {
            parsed = cached
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw fail(.missingFile, "included file \(path) is not readable")
            }
            do {
                parsed = try SourceFile.parse(data, file: path, given: false)
            } catch var e as DeckError {
                e.via = via
                throw e
            }
            SourceCache.shared.put(path, size: size, modified: modified, file: parsed)
        }
        if !files.contains(path) {
            files.append(path)
            sources.append(parsed)
        }
        stack.append(key)
        defer { stack.removeLast() }
        try expand(parsed, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path, section: section,
                   depth: depth + 1, via: via)
        if out.count > DeckFlattener.maxCards {
            throw fail(.tooLarge, "the flattened deck has more than \(DeckFlattener.maxCards) cards")
        }
    }
}
