import Foundation

/// Shard selection: shard `index` of `count` (0-based) holds the jobs whose index ≡ `index` (mod `count`).
public struct BatchShard: Equatable, Sendable, Codable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses "I/N" with 0 ≤ I < N.
    public static func parse(_ text: String) -> BatchShard? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 1_000_000, i >= 0, i < n else {
            return nil
        }
        return BatchShard(index: i, count: n)
    }

    public func contains(_ job: BatchJob) -> Bool { job.index % count == index }
    public var description: String { "\(index)/\(count)" }
}
