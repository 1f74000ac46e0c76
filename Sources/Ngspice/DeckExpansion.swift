// The walk over a file's cards in order: `.include` / `.lib` replaced by the cards of the file they name
// (DeckIncludes.swift), every other card checked against the flattener's rules (known dot cards, elements with
// nodes, no model or parameter that reads a file) and kept with its origin.
import Foundation

/// The state of one flattening: the cards kept so far, what was removed, the files read, the include stack.
struct Expansion {
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
}
