import BMRUModel
import Foundation

/// `DIR/batch.json`: what a batch folder was made from, so that `--resume` and `merge` can check it.
public struct BatchRecord: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var id: String
        public var index: Int
    }
    public var format = "bmru-batch-run"
    public var version = 1
    public var name: String
    public var manifest_sha256: String
    public var required_yield: Double
    /// "I/N" when the folder holds one shard
    public var shard: String?
    /// every job of the manifest (not only this shard's), in expansion order
    public var jobs: [Entry]

    public init(name: String, manifest_sha256: String, required_yield: Double, shard: String?, jobs: [Entry]) {
        self.name = name; self.manifest_sha256 = manifest_sha256; self.required_yield = required_yield
        self.shard = shard; self.jobs = jobs
    }

    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try enc.encode(self)
    }

    public static func load(dir: String) throws -> BatchRecord {
        let path = dir + "/batch.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BatchError(kind: .merge, file: path, reason: "not a batch folder (batch.json is missing)")
        }
        do {
            return try JSONDecoder().decode(BatchRecord.self, from: data)
        } catch {
            throw BatchError(kind: .merge, file: path, reason: "unreadable batch record: \(error)")
        }
    }
}
