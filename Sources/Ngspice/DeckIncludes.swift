// Resolving and reading an included file: the path from the including file's folder, nesting and cycle
// limits, a regular file within the size limits, parsed once per size and modification time (the cache).
import Foundation

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

extension Expansion {
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
