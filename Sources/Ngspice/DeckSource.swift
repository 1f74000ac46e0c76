// Cutting one deck file (or the given text) into logical cards: continuation lines joined, comments dropped,
// `.control` blocks and `*#` command lines removed and listed, `.lib NAME` sections indexed; and the word split.
import Foundation

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

/// A quoted line, cut to 200 characters.
func clip(_ s: String) -> String { s.count > 200 ? String(s.prefix(200)) + "…" : s }

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
