// Band-limited resampling by a windowed-sinc polyphase filter (used for espeak-ng's 22050 Hz output).
import Foundation

public struct Resampler: Sendable {
    public let inputRate: Int
    public let outputRate: Int
    /// output samples per period of the polyphase pattern (L) and input samples per period (M)
    let up: Int, down: Int
    /// table[phase][tap]: weight of input sample (base - halfTaps + 1 + tap)
    let table: [[Double]]
    let halfTaps: Int

    /// - Parameter zeroCrossings: sinc zero crossings on each side of the kernel (quality)
    public init(from inputRate: Int, to outputRate: Int, zeroCrossings: Int = 16) {
        precondition(inputRate > 0 && outputRate > 0)
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = gcd(inputRate, outputRate)
        self.inputRate = inputRate; self.outputRate = outputRate
        up = outputRate / g; down = inputRate / g
        // cutoff at 95 % of the lower Nyquist frequency, in cycles per input sample
        let fc = 0.95 * 0.5 * Double(min(inputRate, outputRate)) / Double(inputRate)
        let half = Double(zeroCrossings) / (2 * fc)            // kernel half width in input samples
        halfTaps = Int(half.rounded(.up)) + 1
        var t: [[Double]] = []
        t.reserveCapacity(up)
        for phase in 0..<up {
            let frac = Double(phase) / Double(up)               // position of the output between inputs
            var row = [Double](repeating: 0, count: 2 * halfTaps)
            for tap in 0..<(2 * halfTaps) {
                let d = frac - Double(tap - halfTaps + 1)       // distance output -> input sample
                guard abs(d) < half else { continue }
                let x = 2 * fc * d
                let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
                let w = 0.42 + 0.5 * cos(Double.pi * d / half) + 0.08 * cos(2 * Double.pi * d / half) // Blackman
                row[tap] = 2 * fc * sinc * w
            }
            t.append(row)
        }
        table = t
    }

    /// Resamples mono samples; the output has round(count * out / in) samples. Outside the input is zero.
    public func process(_ x: [Float]) -> [Float] {
        if inputRate == outputRate { return x }
        let n = Int((Double(x.count) * Double(outputRate) / Double(inputRate)).rounded())
        var y = [Float](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            for i in 0..<n {
                let pos = i * down                               // input position times `up`
                let base = pos / up, phase = pos % up
                let row = table[phase]
                var acc = 0.0
                let first = base - halfTaps + 1
                if first >= 0 && first + 2 * halfTaps <= xp.count {
                    for k in 0..<(2 * halfTaps) { acc += row[k] * Double(xp[first + k]) }
                } else {
                    for k in 0..<(2 * halfTaps) {
                        let j = first + k
                        if j >= 0 && j < xp.count { acc += row[k] * Double(xp[j]) }
                    }
                }
                y[i] = Float(acc)
            }
        }
        return y
    }
}
