// MFCC features: Hann window, 512-point FFT power spectrum, HTK-mel triangular filterbank, natural log,
// orthonormal DCT-II, then z-normalisation per coefficient over the clip and a constant offset (the
// network's inputs are non-negative currents; the offset keeps the lower half of each coefficient).
import Foundation

/// MFCC settings. Defaults: 16 kHz, 25 ms Hann window centred in a 512-point frame, 10 ms hop,
/// 40 mel bands from 20 Hz to 8 kHz, 13 coefficients; frames centred on t*hop with zero padding,
/// so a 1 s clip gives 1 + 16000/160 = 101 frames.
public struct MFCCConfig: Sendable, Equatable, Codable {
    public var sampleRate = 16000
    public var nFFT = 512
    public var windowLength = 400
    public var hop = 160
    public var melBands = 40
    public var fMin = 20.0
    public var fMax = 8000.0
    public var coefficients = 13
    /// floor added inside the log (mel power is in full-scale units squared)
    public var logFloor = 1e-10
    public var normalize = true
    /// Added to every z-normalised coefficient (only with `normalize`). The network's inputs are
    /// non-negative currents clipped at 0, so without it every value below the clip's mean would be lost;
    /// with 2 only values more than 2 standard deviations below it (about 2 % of a Gaussian) are.
    /// Measured on the synthetic keyword task (state 4, width 8, 3 seeds each): mean validation accuracy
    /// 0.933 without the offset, 0.960 with 2.
    public var offset = MFCCConfig.defaultOffset
    public static let defaultOffset = 2.0
    public init() {}
}

/// In-place iterative radix-2 complex FFT of a fixed size.
struct FFT {
    let n: Int
    let cosT: [Double], sinT: [Double]
    let rev: [Int]
    init(size: Int) {
        precondition(size > 1 && size & (size - 1) == 0, "FFT size must be a power of two")
        n = size
        cosT = (0..<size / 2).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
        sinT = (0..<size / 2).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        rev = (0..<size).map { i in
            var r = 0, v = i
            for _ in 0..<bits { r = (r << 1) | (v & 1); v >>= 1 }
            return r
        }
    }
    func transform(_ re: inout [Double], _ im: inout [Double]) {
        for i in 0..<n where rev[i] > i { re.swapAt(i, rev[i]); im.swapAt(i, rev[i]) }
        var len = 2
        while len <= n {
            let step = n / len, half = len / 2
            var start = 0
            while start < n {
                for k in 0..<half {
                    let wr = cosT[k * step], wi = sinT[k * step]
                    let a = start + k, b = a + half
                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
                start += len
            }
            len *= 2
        }
    }
}

/// Computes MFCC features. Create once and reuse (tables are precomputed); thread-safe.
public struct MFCCExtractor: Sendable {
    public let config: MFCCConfig
    let fft: FFT
    let window: [Double]
    /// per mel band: first FFT bin and the weights from there
    let bands: [(start: Int, weights: [Double])]
    let dct: [[Double]]

    public init(config: MFCCConfig = MFCCConfig()) {
        self.config = config
        fft = FFT(size: config.nFFT)
        // periodic Hann of windowLength samples
        window = (0..<config.windowLength).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(config.windowLength)) }
        bands = MFCCExtractor.melFilterbank(config)
        let m = config.melBands
        dct = (0..<config.coefficients).map { k in
            let scale = k == 0 ? (1 / Double(m)).squareRoot() : (2 / Double(m)).squareRoot()
            return (0..<m).map { scale * cos(Double.pi * Double(k) * (Double($0) + 0.5) / Double(m)) }
        }
    }

    public static func hzToMel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
    public static func melToHz(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }

    /// Centre frequencies of the mel bands in Hz.
    public static func bandCentres(_ c: MFCCConfig) -> [Double] {
        let lo = hzToMel(c.fMin), hi = hzToMel(c.fMax)
        return (1...c.melBands).map { melToHz(lo + (hi - lo) * Double($0) / Double(c.melBands + 1)) }
    }

    static func melFilterbank(_ c: MFCCConfig) -> [(start: Int, weights: [Double])] {
        let lo = hzToMel(c.fMin), hi = hzToMel(c.fMax)
        let edges = (0...(c.melBands + 1)).map { melToHz(lo + (hi - lo) * Double($0) / Double(c.melBands + 1)) }
        let bins = c.nFFT / 2 + 1
        return (0..<c.melBands).map { m in
            let l = edges[m], ctr = edges[m + 1], r = edges[m + 2]
            var start = -1
            var w: [Double] = []
            for k in 0..<bins {
                let f = Double(k) * Double(c.sampleRate) / Double(c.nFFT)
                let v = max(0, min((f - l) / (ctr - l), (r - f) / (r - ctr)))
                if v > 0 { if start < 0 { start = k }; w.append(v) }
                else if start >= 0 { break }
            }
            return (max(start, 0), w)
        }
    }

    /// Number of frames for `count` samples.
    public func frameCount(samples count: Int) -> Int { 1 + count / config.hop }

    /// One-sided power spectrum |X_k|^2 (k = 0...nFFT/2) of the frame centred on sample `centre`.
    public func powerSpectrum(_ x: [Float], centre: Int) -> [Double] {
        var re = [Double](repeating: 0, count: config.nFFT), im = re
        let first = centre - config.windowLength / 2                 // first windowed sample
        let pad = (config.nFFT - config.windowLength) / 2            // window is centred in the FFT frame
        for i in 0..<config.windowLength {
            let j = first + i
            if j >= 0 && j < x.count { re[pad + i] = Double(x[j]) * window[i] }
        }
        fft.transform(&re, &im)
        return (0...(config.nFFT / 2)).map { re[$0] * re[$0] + im[$0] * im[$0] }
    }

    /// Log mel energies, frame-major [frame][band].
    public func logMel(_ x: [Float]) -> [[Double]] {
        (0..<frameCount(samples: x.count)).map { t in
            let p = powerSpectrum(x, centre: t * config.hop)
            return bands.map { b in
                var e = 0.0
                for (i, w) in b.weights.enumerated() { e += w * p[b.start + i] }
                return log(e + config.logFloor)
            }
        }
    }

    /// MFCCs, frame-major [frame][coefficient]; with config.normalize z-normalised per coefficient and
    /// shifted by config.offset.
    public func features(_ x: [Float]) -> [[Double]] {
        var c = logMel(x).map { lm in dct.map { row in zip(row, lm).reduce(0) { $0 + $1.0 * $1.1 } } }
        if config.normalize {
            MFCCExtractor.zNormalize(&c)
            if config.offset != 0 { for t in c.indices { for j in c[t].indices { c[t][j] += config.offset } } }
        }
        return c
    }

    /// Subtracts the mean and divides by the standard deviation of each column (population std);
    /// a column with std below 1e-8 becomes zero.
    public static func zNormalize(_ c: inout [[Double]]) {
        guard let width = c.first?.count else { return }
        let n = Double(c.count)
        for j in 0..<width {
            var mean = 0.0
            for row in c { mean += row[j] }
            mean /= n
            var v = 0.0
            for row in c { v += (row[j] - mean) * (row[j] - mean) }
            let sd = (v / n).squareRoot()
            for t in 0..<c.count { c[t][j] = sd < 1e-8 ? 0 : (c[t][j] - mean) / sd }
        }
    }
}
