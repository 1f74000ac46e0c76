// Loader for the Google Speech Commands layout (ROOT/<word>/*.wav, validation_list.txt,
// testing_list.txt, _background_noise_/) for the binary task "yes" against
// {silence, no, up, down, left, right}. Clips are turned into MFCC features while loading.
import BMRUModel
import Foundation

public enum DataSplit: String, Sendable, CaseIterable, Codable {
    case train, validation, test
}

/// The seven source classes of the task; `yes` is the positive class.
public enum KWSWord: String, Sendable, CaseIterable, Codable {
    case yes, no, up, down, left, right
    case silence = "_silence_"
    public static let spoken: [KWSWord] = [.yes, .no, .up, .down, .left, .right]
    public var isKeyword: Bool { self == .yes }
}

/// One clip as MFCC features (frame-major, flat: frames × coefficients).
public struct FeatureClip: Sendable {
    /// path relative to the dataset root (for silence: "<noise file>#<segment>")
    public var id: String
    public var word: KWSWord
    public var split: DataSplit
    public var frames: Int
    public var coefficients: Int
    public var features: [Double]
    public var label: Int { word.isKeyword ? 1 : 0 }
    public init(id: String, word: KWSWord, split: DataSplit, frames: Int, coefficients: Int, features: [Double]) {
        self.id = id; self.word = word; self.split = split
        self.frames = frames; self.coefficients = coefficients; self.features = features
    }
    /// frame-major rows
    public var rows: [[Double]] {
        (0..<frames).map { Array(features[($0 * coefficients)..<(($0 + 1) * coefficients)]) }
    }
}

/// A file that was skipped, and why.
public struct SkippedFile: Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

public struct KWSDataset: Sendable {
    public var root: String
    public var clips: [FeatureClip]
    public var skipped: [SkippedFile]
    public func clips(_ split: DataSplit) -> [FeatureClip] { clips.filter { $0.split == split } }

    /// The balanced evaluation set of a split: every "yes" clip and as many negatives, spread evenly
    /// over the six negative classes, and within a class taken at evenly spaced positions of the
    /// id-sorted list (so negatives come from all speakers, not the first few). A class with too few
    /// clips gives all it has and the others make up the difference.
    public func balanced(_ split: DataSplit) -> [FeatureClip] {
        let all = clips(split).sorted { $0.id < $1.id }
        let yes = all.filter { $0.word == .yes }
        let pools = KWSWord.allCases.filter { !$0.isKeyword }.map { w in all.filter { $0.word == w } }
        // quota per class: fair share, capped by availability, leftovers to classes with spare clips
        var quota = [Int](repeating: 0, count: pools.count)
        var left = yes.count
        while left > 0 {
            let open = pools.indices.filter { quota[$0] < pools[$0].count }
            if open.isEmpty { break }
            let share = max(1, left / open.count)
            for p in open where left > 0 {
                let add = min(share, pools[p].count - quota[p], left)
                quota[p] += add; left -= add
            }
        }
        var negatives: [FeatureClip] = []
        for (p, pool) in pools.enumerated() where quota[p] > 0 {
            for k in 0..<quota[p] { negatives.append(pool[k * pool.count / quota[p]]) }
        }
        return yes + negatives
    }
}

public enum SpeechCommands {
    public static let sampleRate = 16000
    public static let clipSamples = 16000

    /// Loads the task's clips from a Speech Commands tree and computes their features (in parallel).
    /// Unusable WAV files (wrong rate, stereo, truncated, empty, not PCM) are skipped and listed.
    /// Throws `.badDataset` when the layout is wrong (missing word folder or split list) or no
    /// usable clip remains (any split may be empty: a folder of test clips only loads).
    public static func load(root: String, extractor: MFCCExtractor = MFCCExtractor(),
                            progress: ((String) -> Void)? = nil) throws -> KWSDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw KWSError(.badDataset, file: root, reason: "not a directory")
        }
        func list(_ name: String) throws -> Set<String> {
            let p = (root as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: p, encoding: .utf8) else {
                throw KWSError(.badDataset, file: p, reason: "missing split list (Speech Commands layout needs it)")
            }
            return Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty })
        }
        let validation = try list("validation_list.txt"), testing = try list("testing_list.txt")

        // every job: (id, word, split, absolute path, segment index or nil)
        struct Job { var id: String; var word: KWSWord; var split: DataSplit; var path: String; var segment: Int? }
        var jobs: [Job] = []
        var skipped: [SkippedFile] = []
        for word in KWSWord.spoken {
            let dir = (root as NSString).appendingPathComponent(word.rawValue)
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
                throw KWSError(.badDataset, file: dir, reason: "missing word folder '\(word.rawValue)'")
            }
            for name in names.sorted() where name.lowercased().hasSuffix(".wav") {
                let rel = "\(word.rawValue)/\(name)"
                let split: DataSplit = testing.contains(rel) ? .test : validation.contains(rel) ? .validation : .train
                jobs.append(Job(id: rel, word: word, split: split, path: (dir as NSString).appendingPathComponent(name), segment: nil))
            }
        }
        // silence: consecutive 1 s segments of the background noise files; segment i goes to
        // test when i % 10 == 0, validation when i % 10 == 1, train otherwise
        let noiseDir = (root as NSString).appendingPathComponent("_background_noise_")
        if let names = try? fm.contentsOfDirectory(atPath: noiseDir) {
            for name in names.sorted() where name.lowercased().hasSuffix(".wav") {
                let path = (noiseDir as NSString).appendingPathComponent(name)
                do {
                    let audio = try readTaskAudio(path: path)
                    let segments = audio.count / clipSamples
                    for i in 0..<segments {
                        let split: DataSplit = i % 10 == 0 ? .test : i % 10 == 1 ? .validation : .train
                        jobs.append(Job(id: "_background_noise_/\(name)#\(i)", word: .silence, split: split, path: path, segment: i))
                    }
                } catch let e as KWSError {
                    skipped.append(SkippedFile(path: path, reason: e.field.isEmpty ? e.reason : "\(e.reason) (\(e.field))"))
                }
            }
        }
        // compute features in parallel; each job writes its own slot
        let results = UnsafeMutableBufferPointer<Result<FeatureClip, KWSError>?>.allocate(capacity: jobs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let chunks = max(1, min(jobs.count, 64))
        let counter = ProgressCounter(total: jobs.count, every: max(1, jobs.count / 10), report: progress)
        let noiseCache = NoiseCache()
        let slots = ParallelSlots(results), todo = jobs
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            let jobs = todo
            while i < jobs.count {
                let job = jobs[i]
                do {
                    let samples: [Float]
                    if let seg = job.segment {
                        let audio = try noiseCache.audio(job.path)
                        samples = Array(audio[(seg * clipSamples)..<((seg + 1) * clipSamples)])
                    } else {
                        samples = fit(try readTaskAudio(path: job.path))
                    }
                    let f = extractor.features(samples)
                    slots[i] = .success(FeatureClip(id: job.id, word: job.word, split: job.split, frames: f.count,
                                                      coefficients: extractor.config.coefficients, features: f.flatMap { $0 }))
                } catch let e as KWSError {
                    slots[i] = .failure(e)
                } catch {
                    slots[i] = .failure(KWSError(.badAudio, file: job.path, reason: "\(error)"))
                }
                counter.tick()
                i += chunks
            }
        }
        var clips: [FeatureClip] = []
        clips.reserveCapacity(jobs.count)
        for i in 0..<jobs.count {
            switch results[i] {
            case .success(let c)?: clips.append(c)
            case .failure(let e)?: skipped.append(SkippedFile(path: e.file.isEmpty ? jobs[i].path : e.file, reason: e.reason))
            case nil: break
            }
        }
        // a folder of a test split only is a dataset too (for `kws eval`); the trainer asks for its own
        // training clips ("training split needs 'yes' clips and negative clips")
        guard !clips.isEmpty else {
            throw KWSError(.badDataset, file: root, reason: "no usable clips")
        }
        return KWSDataset(root: root, clips: clips, skipped: skipped)
    }

    /// Reads a WAV that must be 16 kHz mono; returns its samples.
    public static func readTaskAudio(path: String) throws -> [Float] {
        let a = try WAVFile.read(path: path)
        if a.channels != 1 { throw KWSError(.badAudio, file: path, reason: "\(a.channels) channels, expected mono") }
        if a.sampleRate != sampleRate {
            throw KWSError(.badAudio, file: path, reason: "sample rate \(a.sampleRate) Hz, expected \(sampleRate)")
        }
        return a.samples
    }

    /// Pads with zeros or cuts to exactly one second.
    public static func fit(_ x: [Float]) -> [Float] {
        if x.count == clipSamples { return x }
        if x.count > clipSamples { return Array(x[0..<clipSamples]) }
        return x + [Float](repeating: 0, count: clipSamples - x.count)
    }
}

/// Thread-safe cache of decoded background noise files.
final class NoiseCache: @unchecked Sendable {
    private var store: [String: [Float]] = [:]
    private let lock = NSLock()
    func audio(_ path: String) throws -> [Float] {
        lock.lock(); defer { lock.unlock() }
        if let a = store[path] { return a }
        let a = try SpeechCommands.readTaskAudio(path: path)
        store[path] = a
        return a
    }
}

/// Counts finished items from several threads and reports every `every` items.
final class ProgressCounter: @unchecked Sendable {
    private var done = 0
    private let total: Int, every: Int
    private let report: ((String) -> Void)?
    private let lock = NSLock()
    init(total: Int, every: Int, report: ((String) -> Void)?) { self.total = total; self.every = every; self.report = report }
    func tick() {
        lock.lock(); done += 1; let d = done; lock.unlock()
        if let r = report, d % every == 0 || d == total { r("features \(d)/\(total)") }
    }
}
