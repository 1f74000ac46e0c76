// Training checkpoints: where and how often they are written, the state they carry from step to step, the file
// (doubles as IEEE bit patterns, so a resumed run is exact) and the data fingerprint it is only resumed on.
import Foundation
import BMRUModel

extension KWSTrainer {
    /// A fingerprint of the training and validation clips (ids, words, splits and every feature bit):
    /// a checkpoint is only resumed on the same data.
    public static func fingerprint(_ dataset: KWSDataset) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ x: UInt64) { h = (h ^ x) &* 0x100_0000_01b3; h ^= h >> 29 }
        for c in dataset.clips where c.split != .test {
            for b in c.id.utf8 { mix(UInt64(b)) }
            for b in c.word.rawValue.utf8 { mix(UInt64(b)) }
            for b in c.split.rawValue.utf8 { mix(UInt64(b)) }
            mix(UInt64(c.frames)); mix(UInt64(c.coefficients))
            for v in c.features { mix(v.bitPattern) }
        }
        return String(h, radix: 16).leftPadded(16)
    }
}

/// Where and how often the trainer saves its state, and when to stop.
public struct CheckpointOptions {
    public var path: String
    /// save every this many steps (≥ 1)
    public var every: Int
    /// continue from `path` if it exists
    public var resume: Bool
    /// polled before every step; true = save and throw `.interrupted` (e.g. after SIGINT)
    public var shouldStop: () -> Bool
    public init(path: String, every: Int = 500, resume: Bool = false, shouldStop: @escaping () -> Bool = { false }) {
        self.path = path; self.every = max(1, every); self.resume = resume; self.shouldStop = shouldStop
    }
}

/// Everything the training loop carries from step to step.
struct TrainState {
    var step: Int
    var params: [Double], m: [Double], v: [Double], ema: [Double]
    var best: [Double]?
    var bestAccuracy: Double
    var bestStep: Int
    var negError: [Double]
    var recentLoss: Double, recentCorrect: Int, recentCount: Int
}

/// The checkpoint file (JSON; doubles stored as their IEEE bit patterns so a resumed run is exact).
struct TrainCheckpoint: Codable {
    var format = "bmru-train-checkpoint"
    var version = 1
    var config: TrainerConfig
    var data: String
    var step: Int
    var params: [UInt64], m: [UInt64], v: [UInt64], ema: [UInt64]
    var best: [UInt64]?
    var bestAccuracy: UInt64
    var bestStep: Int
    var negError: [UInt64]
    var recentLoss: UInt64, recentCorrect: Int, recentCount: Int

    static func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }
    static func doubles(_ a: [UInt64]) -> [Double] { a.map(Double.init(bitPattern:)) }

    static func save(_ s: TrainState, config: TrainerConfig, fingerprint: String, path: String) throws {
        var c = config
        c.parallel = true   // threads do not change the result
        let ck = TrainCheckpoint(config: c, data: fingerprint, step: s.step, params: bits(s.params), m: bits(s.m),
                                 v: bits(s.v), ema: bits(s.ema), best: s.best.map(bits), bestAccuracy: s.bestAccuracy.bitPattern,
                                 bestStep: s.bestStep, negError: bits(s.negError), recentLoss: s.recentLoss.bitPattern,
                                 recentCorrect: s.recentCorrect, recentCount: s.recentCount)
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try enc.encode(ck) } catch { throw KWSError(.io, file: path, reason: "cannot encode checkpoint: \(error)") }
        try FileIO.writeAtomically(data, to: path)
    }

    static func load(path: String, config: TrainerConfig, fingerprint: String, parameters np: Int) throws -> TrainState {
        func bad(_ r: String) -> KWSError { KWSError(.checkpoint, file: path, reason: r) }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("cannot read the checkpoint") }
        let ck: TrainCheckpoint
        do { ck = try JSONDecoder().decode(TrainCheckpoint.self, from: data) } catch {
            throw bad("not a bmru training checkpoint (\(error))")
        }
        guard ck.format == "bmru-train-checkpoint", ck.version == 1 else { throw bad("format \(ck.format) v\(ck.version) is not bmru-train-checkpoint v1") }
        var mine = config; mine.parallel = true
        if ck.config != mine {
            // name the options that differ
            let a = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(ck.config))) as? [String: Any] ?? [:]
            let b = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(mine))) as? [String: Any] ?? [:]
            let keys = Set(a.keys).union(b.keys).sorted().filter { k in
                "\(a[k].map { "\($0)" } ?? "nil")" != "\(b[k].map { "\($0)" } ?? "nil")"
            }
            throw bad("made with other training options (\(keys.map { "\($0): checkpoint \(a[$0].map { "\($0)" } ?? "-"), now \(b[$0].map { "\($0)" } ?? "-")" }.joined(separator: "; "))); remove it or use the same options")
        }
        guard ck.data == fingerprint else {
            throw bad("made from other data (fingerprint \(ck.data), this dataset \(fingerprint)); remove it or use the same dataset")
        }
        guard ck.params.count == np, ck.m.count == np, ck.v.count == np, ck.ema.isEmpty || ck.ema.count == np,
              ck.best.map({ $0.count == np }) ?? true, (0...config.steps).contains(ck.step) else {
            throw bad("inconsistent sizes or step")
        }
        return TrainState(step: ck.step, params: doubles(ck.params), m: doubles(ck.m), v: doubles(ck.v), ema: doubles(ck.ema),
                          best: ck.best.map(doubles), bestAccuracy: Double(bitPattern: ck.bestAccuracy), bestStep: ck.bestStep,
                          negError: doubles(ck.negError), recentLoss: Double(bitPattern: ck.recentLoss),
                          recentCorrect: ck.recentCorrect, recentCount: ck.recentCount)
    }
}
