// `kws synth`: a Speech Commands style dataset spoken by espeak-ng voices.
import Foundation

public struct SynthOptions: Sendable, Codable, Equatable {
    public var seed: UInt64 = 1
    /// clips per spoken word, and also the number of 1 s silence segments in the background noise
    public var perWord = 300
    /// SNR of the additive noise, dB
    public var snrMin = 10.0, snrMax = 40.0
    /// espeak-ng speed (words per minute) and pitch (0...99)
    public var speedMin = 140.0, speedMax = 240.0
    public var pitchMin = 20.0, pitchMax = 80.0
    /// the word starts at a uniformly random time in [onsetMin, onsetMax] seconds (earlier if it would not fit)
    public var onsetMin = 0.0, onsetMax = 0.15
    /// fractions of the voices (espeak-ng variants) reserved for the test and validation splits
    public var testFraction = 0.20, validationFraction = 0.10
    /// vocal-tract/pitch scaling: each utterance is resampled as if spoken with formants and pitch scaled
    /// by a random factor in [warpMin, warpMax] (more voice variety than espeak-ng's variants alone)
    public var warpMin = 0.88, warpMax = 1.12
    public init() {}
}

public struct SynthReport: Sendable {
    public var clipsWritten: Int
    public var clipsKept: Int
    public var voices: [DataSplit: [String]]
    public var failed: [SkippedFile]
}

public enum SpeechSynth {
    /// English accents of espeak-ng used as a base; those not installed are ignored.
    public static let accents = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                                 "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]

    /// Path of espeak-ng, or nil when it is not installed.
    public static func espeakPath() -> String? {
        let env = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in env.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let p = "\(dir)/espeak-ng"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, out: Data, err: Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, o, e)
    }

    /// Installed English accents and voice variants (sorted, so the same install gives the same lists).
    public static func voices(espeak: String) throws -> (accents: [String], variants: [String]) {
        let en = try run(espeak, ["--voices=en"])
        let langs = Set(String(decoding: en.out, as: UTF8.self).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) })
        let acc = accents.filter { langs.contains($0) }
        let v = try run(espeak, ["--voices=variant"])
        let variants = String(decoding: v.out, as: UTF8.self).split(separator: "\n").dropFirst()
            .compactMap { line -> String? in
                // columns: Pty Language Age/Gender VoiceName File ...; the file is "!v/<name>"
                let cols = line.split(separator: " ")
                guard cols.count >= 5, cols[4].hasPrefix("!v/") else { return nil }
                return String(cols[4].dropFirst(3))
            }
        guard !acc.isEmpty else { throw KWSError(.synthesis, file: espeak, reason: "no English voices installed") }
        guard variants.count >= 10 else {
            throw KWSError(.synthesis, file: espeak, reason: "only \(variants.count) voice variants installed, need 10")
        }
        return (acc, Array(Set(variants)).sorted())
    }

    /// Stable short name of a voice variant, used as the "speaker hash" in file names.
    public static func voiceID(_ variant: String) -> String {
        let h = fnv1a(variant)
        return String(String(h, radix: 16).suffix(8)).leftPadded(8)
    }

    /// Writes the dataset. Existing clip files of an earlier run with the same options are kept
    /// (so an interrupted run can be resumed); a directory made with other options is refused.
    public static func synthesize(options o: SynthOptions, outDir: String,
                                  progress: ((String) -> Void)? = nil) throws -> SynthReport {
        guard o.perWord >= 1, o.perWord <= 100_000 else {
            throw KWSError(.synthesis, file: "", reason: "per-word must be in 1...100000, got \(o.perWord)")
        }
        guard let espeak = espeakPath() else {
            throw KWSError(.synthesis, file: "espeak-ng",
                           reason: "espeak-ng is not installed; run: sudo apt-get install -y espeak-ng")
        }
        let (accentList, variantList) = try voices(espeak: espeak)
        let fm = FileManager.default
        try? fm.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let optionsPath = (outDir as NSString).appendingPathComponent("synth.json")
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        let optionsData = try enc.encode(o)
        if let old = fm.contents(atPath: optionsPath), old != optionsData {
            throw KWSError(.synthesis, file: optionsPath,
                           reason: "the directory holds a dataset made with other options; use a new directory")
        }
        try FileIO.writeAtomically(optionsData, to: optionsPath)

        // split voices (variants) by seed: test voices are never heard in training
        var rng = KWSRandom(seed: o.seed, 1)
        var order = variantList
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(i + 1)) }
        let nTest = max(1, Int((Double(order.count) * o.testFraction).rounded()))
        let nVal = max(1, Int((Double(order.count) * o.validationFraction).rounded()))
        var splitOf: [String: DataSplit] = [:]
        for (i, v) in order.enumerated() { splitOf[v] = i < nTest ? .test : i < nTest + nVal ? .validation : .train }
        var voicesBySplit: [DataSplit: [String]] = [:]
        for v in variantList { voicesBySplit[splitOf[v]!, default: []].append(v) }

        // clips visit the voices in a second shuffled order, so every split gets clips even for small runs
        var visit = variantList
        for i in stride(from: visit.count - 1, to: 0, by: -1) { visit.swapAt(i, rng.index(i + 1)) }
        struct Job { var word: KWSWord; var index: Int; var variant: String; var path: String; var rel: String }
        var jobs: [Job] = []
        for (wi, word) in KWSWord.spoken.enumerated() {
            let dir = (outDir as NSString).appendingPathComponent(word.rawValue)
            try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var perVoice: [String: Int] = [:]
            for k in 0..<o.perWord {
                let variant = visit[(k + wi * 7) % visit.count]
                let n = perVoice[variant, default: 0]; perVoice[variant] = n + 1
                let name = "\(voiceID(variant))_nohash_\(n).wav"
                jobs.append(Job(word: word, index: k, variant: variant, path: (dir as NSString).appendingPathComponent(name),
                                rel: "\(word.rawValue)/\(name)"))
            }
        }
        let resampler = Resampler(from: 22050, to: SpeechCommands.sampleRate)
        let failures = FailureList()
        let counter = ProgressCounter(total: jobs.count, every: max(1, jobs.count / 20), report: progress.map { p in { p("synth \($0.dropFirst(9))") } })
        let written = AtomicCount()
        let tmpRoot = NSTemporaryDirectory() + "bmru-synth-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.createDirectory(atPath: tmpRoot, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: tmpRoot) }
        let chunks = min(jobs.count, 64)
        let todo = jobs
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            let jobs = todo
            while i < jobs.count {
                let job = jobs[i]
                defer { counter.tick(); i += chunks }
                if fm.fileExists(atPath: job.path) { continue }
                var r = KWSRandom(seed: o.seed, 2, UInt64(KWSWord.spoken.firstIndex(of: job.word)!), UInt64(job.index))
                let accent = accentList[r.index(accentList.count)]
                let speed = Int(r.uniform(o.speedMin, o.speedMax).rounded())
                let pitch = Int(r.uniform(o.pitchMin, o.pitchMax).rounded())
                let tmp = "\(tmpRoot)/\(job.word.rawValue)-\(job.index).wav"
                do {
                    let res = try run(espeak, ["-v", "\(accent)+\(job.variant)", "-s", "\(speed)", "-p", "\(pitch)",
                                               "-w", tmp, job.word.rawValue])
                    guard res.status == 0 else {
                        throw KWSError(.synthesis, file: job.rel, reason: "espeak-ng failed: \(String(decoding: res.err, as: UTF8.self))")
                    }
                    let audio = try WAVFile.read(path: tmp)
                    try? fm.removeItem(atPath: tmp)
                    guard audio.channels == 1 else { throw KWSError(.synthesis, file: job.rel, reason: "espeak-ng wrote \(audio.channels) channels") }
                    // reading the samples at rate·warp scales every frequency by warp (rate rounded to 50 Hz
                    // to keep the polyphase table small); warp = 1 is the plain 22050 -> 16000 conversion
                    let warp = r.uniform(o.warpMin, o.warpMax)
                    let rate = Int((Double(audio.sampleRate) * warp / 50).rounded()) * 50
                    let speech0 = rate == 22050 ? resampler.process(audio.samples)
                        : Resampler(from: rate, to: SpeechCommands.sampleRate).process(audio.samples)
                    var speech = speech0
                    speech = trimSilence(speech)
                    guard !speech.isEmpty else { throw KWSError(.synthesis, file: job.rel, reason: "espeak-ng produced silence") }
                    let clip = place(speech, rng: &r, options: o)
                    try WAVFile.write16(samples: clip, sampleRate: SpeechCommands.sampleRate, path: job.path)
                    written.add()
                } catch let e as KWSError {
                    failures.add(SkippedFile(path: job.rel, reason: e.reason))
                } catch {
                    failures.add(SkippedFile(path: job.rel, reason: "\(error)"))
                }
            }
        }
        // background noise for silence clips: four colours, total perWord seconds
        let noiseDir = (outDir as NSString).appendingPathComponent("_background_noise_")
        try? fm.createDirectory(atPath: noiseDir, withIntermediateDirectories: true)
        let kinds = ["white", "pink", "brown", "hum"]
        let seconds = (o.perWord + kinds.count - 1) / kinds.count
        for (ki, kind) in kinds.enumerated() {
            let path = (noiseDir as NSString).appendingPathComponent("\(kind)_noise.wav")
            if fm.fileExists(atPath: path) { continue }
            var r = KWSRandom(seed: o.seed, 3, UInt64(ki))
            var x = noise(kind: kind, count: seconds * SpeechCommands.sampleRate, rng: &r)
            // slowly varying loudness (one random gain per second, from -30 dB to 0 dB)
            for s in 0..<seconds {
                let g = Float(pow(10, r.uniform(-30, 0) / 20))
                for j in (s * SpeechCommands.sampleRate)..<((s + 1) * SpeechCommands.sampleRate) { x[j] *= g }
            }
            try WAVFile.write16(samples: x, sampleRate: SpeechCommands.sampleRate, path: path)
        }
        // split lists (sorted), written last
        var val: [String] = [], test: [String] = []
        for j in jobs where fm.fileExists(atPath: j.path) {
            switch splitOf[j.variant]! {
            case .test: test.append(j.rel)
            case .validation: val.append(j.rel)
            case .train: break
            }
        }
        try FileIO.writeAtomically(Data((val.sorted().joined(separator: "\n") + "\n").utf8),
                                   to: (outDir as NSString).appendingPathComponent("validation_list.txt"))
        try FileIO.writeAtomically(Data((test.sorted().joined(separator: "\n") + "\n").utf8),
                                   to: (outDir as NSString).appendingPathComponent("testing_list.txt"))
        let fails = failures.items.sorted { $0.path < $1.path }
        return SynthReport(clipsWritten: written.value, clipsKept: jobs.count - fails.count,
                           voices: voicesBySplit, failed: fails)
    }

    /// Removes leading and trailing samples quieter than 2 % of the peak.
    static func trimSilence(_ x: [Float]) -> [Float] {
        let peak = x.map { abs($0) }.max() ?? 0
        guard peak > 0 else { return [] }
        let thr = 0.02 * peak
        guard let a = x.firstIndex(where: { abs($0) > thr }), let b = x.lastIndex(where: { abs($0) > thr }) else { return [] }
        return Array(x[a...b])
    }

    /// Places speech in a 1 s clip at a random onset with noise at a random SNR and a random peak level.
    static func place(_ speech: [Float], rng r: inout KWSRandom, options o: SynthOptions) -> [Float] {
        let n = SpeechCommands.clipSamples
        let s = speech.count > n - 160 ? Array(speech[0..<(n - 160)]) : speech
        let latest = Double(n - s.count) / Double(SpeechCommands.sampleRate)
        let onset = min(r.uniform(o.onsetMin, o.onsetMax), latest)
        let start = Int(onset * Double(SpeechCommands.sampleRate))
        var clip = [Float](repeating: 0, count: n)
        var power = 0.0
        for (i, v) in s.enumerated() { clip[start + i] = v; power += Double(v) * Double(v) }
        power /= Double(s.count)
        let kinds = ["white", "pink", "brown", "hum"]
        let nz = noise(kind: kinds[r.index(kinds.count)], count: n, rng: &r)
        let np = nz.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        let snr = r.uniform(o.snrMin, o.snrMax)
        let g = np > 0 ? Float((power / np / pow(10, snr / 10)).squareRoot()) : 0
        for i in 0..<n { clip[i] += g * nz[i] }
        let peak = clip.map { abs($0) }.max() ?? 1
        let level = Float(r.uniform(0.1, 0.9))
        if peak > 0 { for i in 0..<n { clip[i] *= level / peak } }
        return clip
    }

    /// Unit-variance-ish noise: white (Gaussian), pink (Voss-McCartney style sum of held rows),
    /// brown (leaky integral), hum (50 Hz and harmonics with a little white noise).
    static func noise(kind: String, count n: Int, rng r: inout KWSRandom) -> [Float] {
        var x = [Float](repeating: 0, count: n)
        switch kind {
        case "pink":
            var rows = [Double](repeating: 0, count: 12)
            for i in 0..<rows.count { rows[i] = r.normal() }
            for i in 0..<n {
                let k = (i + 1).trailingZeroBitCount
                if k < rows.count { rows[k] = r.normal() }
                x[i] = Float((rows.reduce(0, +) + r.normal()) / 3.6)
            }
        case "brown":
            var y = 0.0
            for i in 0..<n { y = 0.995 * y + 0.1 * r.normal(); x[i] = Float(y) }
        case "hum":
            let f0 = r.uniform(48, 62)
            let ph = (0..<4).map { _ in r.uniform(0, 2 * Double.pi) }
            for i in 0..<n {
                let t = Double(i) / Double(SpeechCommands.sampleRate)
                var v = 0.05 * r.normal()
                for h in 0..<4 { v += sin(2 * Double.pi * f0 * Double(h + 1) * t + ph[h]) / Double(h + 1) }
                x[i] = Float(v * 0.6)
            }
        default:
            for i in 0..<n { x[i] = Float(r.normal()) }
        }
        let peak = x.map { abs($0) }.max() ?? 1
        if peak > 1 { for i in 0..<n { x[i] /= peak } }
        return x
    }
}

final class FailureList: @unchecked Sendable {
    private var list: [SkippedFile] = []
    private let lock = NSLock()
    func add(_ f: SkippedFile) { lock.lock(); list.append(f); lock.unlock() }
    var items: [SkippedFile] { lock.lock(); defer { lock.unlock() }; return list }
}

final class AtomicCount: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
