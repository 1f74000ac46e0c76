import Foundation
import Testing
@testable import KWS

/// python3 with numpy, if present ($BMRU_PYTHON first, then every python3 on $PATH)
let pythonWithNumpy: String? = {
    let env = ProcessInfo.processInfo.environment
    var candidates = env["BMRU_PYTHON"].map { [$0] } ?? []
    candidates += (env["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
    for p in candidates where FileManager.default.isExecutableFile(atPath: p) {
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: p)
        proc.arguments = ["-c", "import numpy"]
        proc.standardOutput = FileHandle.nullDevice
        proc.standardError = FileHandle.nullDevice
        do { try proc.run(); proc.waitUntilExit() } catch { continue }
        if proc.terminationStatus == 0 { return p }
    }
    return nil
}()

@Suite struct MFCCTests {
    /// A test signal without digital silence: a chirp plus two tones plus seeded noise, 1 s at 16 kHz.
    func signal() -> [Float] {
        var r = KWSRandom(seed: 5)
        return (0..<16000).map { n in
            let t = Double(n) / 16000
            let chirp = 0.3 * sin(2 * Double.pi * (200 * t + 1500 * t * t))
            return Float(chirp + 0.1 * sin(2 * Double.pi * 440 * t) + 0.05 * sin(2 * Double.pi * 3100 * t) + 0.02 * r.normal())
        }
    }

    @Test(.enabled(if: pythonWithNumpy != nil, "needs python3 with numpy for the independent reference"))
    func agreesWithNumpyReference() throws {
        let x = signal()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kws-mfcc-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("x.txt"), output = dir.appendingPathComponent("y.txt")
        try x.map { "\(Double($0))" }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        // independent numpy implementation of the documented recipe
        let script = """
        import numpy as np, sys
        x = np.loadtxt(sys.argv[1]); sr, nfft, win, hop, nmel, ncep = 16000, 512, 400, 160, 40, 13
        xp = np.concatenate([np.zeros(nfft // 2), x, np.zeros(nfft // 2)])
        nfr = 1 + len(x) // hop
        w = np.zeros(nfft); w[(nfft - win) // 2:(nfft - win) // 2 + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
        frames = np.stack([xp[t * hop:t * hop + nfft] for t in range(nfr)]) * w
        P = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        mel = lambda f: 2595 * np.log10(1 + f / 700); imel = lambda m: 700 * (10 ** (m / 2595) - 1)
        edges = imel(np.linspace(mel(20.0), mel(8000.0), nmel + 2))
        f = np.arange(nfft // 2 + 1) * sr / nfft
        fb = np.array([np.clip(np.minimum((f - edges[m]) / (edges[m + 1] - edges[m]), (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1])), 0, None) for m in range(nmel)])
        L = np.log(P @ fb.T + 1e-10)
        k = np.arange(ncep)[:, None]; m = np.arange(nmel)[None, :]
        D = np.cos(np.pi * k * (m + 0.5) / nmel) * np.sqrt(2 / nmel); D[0] /= np.sqrt(2)
        C = L @ D.T
        Z = (C - C.mean(0)) / C.std(0) + 2.0   # the documented input offset (README: z-scores + 2)
        np.savetxt(sys.argv[2], np.concatenate([C, Z], axis=1), fmt='%.17g')
        """
        let scriptURL = dir.appendingPathComponent("ref.py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: pythonWithNumpy!)
        p.arguments = [scriptURL.path, input.path, output.path]
        try p.run(); p.waitUntilExit()
        try #require(p.terminationStatus == 0, "numpy reference failed")
        let rows = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: " ").map { Double($0)! } }
        var cfg = MFCCConfig(); cfg.normalize = false
        let raw = MFCCExtractor(config: cfg).features(x)
        let z = MFCCExtractor().features(x)
        #expect(rows.count == 101 && raw.count == 101 && z.count == 101)
        var worstRaw = 0.0, worstZ = 0.0
        for t in 0..<min(rows.count, raw.count) {
            for j in 0..<13 {
                worstRaw = max(worstRaw, abs(rows[t][j] - raw[t][j]))
                worstZ = max(worstZ, abs(rows[t][13 + j] - z[t][j]))
            }
        }
        #expect(worstRaw < 1e-8, "max |Δ| of raw MFCC vs numpy: \(worstRaw)")
        #expect(worstZ < 1e-8, "max |Δ| of z-normalised, offset MFCC vs numpy: \(worstZ)")
    }

    /// A 1 kHz tone lies exactly on FFT bin 32 (1000 · 512 / 16000): the spectrum peak is there with the
    /// coherent gain (A/2 · Σw)², Parseval holds, and the loudest mel band is the one centred nearest 1 kHz.
    @Test func pureTone() {
        let a = 0.5
        let x: [Float] = (0..<16000).map { Float(a * sin(2 * Double.pi * 1000 * Double($0) / 16000 + 0.3)) }
        let m = MFCCExtractor()
        let p = m.powerSpectrum(x, centre: 8000)
        let peak = p.indices.max { p[$0] < p[$1] }!
        #expect(peak == 32)
        let wsum = (0..<400).reduce(0.0) { $0 + 0.5 - 0.5 * cos(2 * Double.pi * Double($1) / 400) }
        let expected = pow(a / 2 * wsum, 2)
        #expect(abs(p[32] / expected - 1) < 1e-3, "peak power \(p[32]) vs \(expected)")
        // Parseval: P0 + 2 Σ P1..255 + P256 = N Σ (x w)²
        let twoSided = p[0] + p[256] + 2 * p[1..<256].reduce(0, +)
        var energy = 0.0
        for i in 0..<400 {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / 400)
            energy += pow(Double(x[8000 - 200 + i]) * w, 2)
        }
        #expect(abs(twoSided / (512 * energy) - 1) < 1e-9)
        // loudest band: centre nearest to 1 kHz, centres computed here from the HTK formula
        let mel = { (f: Double) in 2595 * log10(1 + f / 700) }, hz = { (q: Double) in 700 * (pow(10, q / 2595) - 1) }
        let centres = (1...40).map { hz(mel(20) + (mel(8000) - mel(20)) * Double($0) / 41) }
        let nearest = centres.indices.min { abs(centres[$0] - 1000) < abs(centres[$1] - 1000) }!
        let lm = m.logMel(x)[50]
        #expect(lm.indices.max { lm[$0] < lm[$1] }! == nearest)
        // a stationary tone gives the same MFCC in every frame away from the clip edges
        var cfg = MFCCConfig(); cfg.normalize = false
        let f = MFCCExtractor(config: cfg).features(x)
        for t in 10..<90 { for j in 0..<13 { #expect(abs(f[t][j] - f[50][j]) < 1e-3 * max(1, abs(f[50][j]))) } }
        #expect(f.count == 101 && f[0].count == 13)
    }

    /// 22050 -> 16000 Hz: a 1 kHz tone comes out as the same tone; a 10 kHz tone (above the new Nyquist) vanishes.
    @Test func resampler() {
        let r = Resampler(from: 22050, to: 16000)
        let tone = { (f: Double, rate: Double, n: Int) in (0..<n).map { Float(0.8 * sin(2 * Double.pi * f * Double($0) / rate)) } }
        let y = r.process(tone(1000, 22050, 22050))
        #expect(y.count == 16000)
        let ref = tone(1000, 16000, 16000)
        var worst = 0.0
        for i in 200..<15800 { worst = max(worst, abs(Double(y[i] - ref[i]))) }
        #expect(worst < 2e-3, "max error \(worst)")
        let hi = r.process(tone(10000, 22050, 22050))
        let rms = (hi[200..<15800].reduce(0.0) { $0 + Double($1) * Double($1) } / 15600).squareRoot()
        #expect(rms < 2e-3, "10 kHz leaks with rms \(rms)")
    }
}
