// Sampling a waveform at frame ends, time averages, decisions from output rows, and waveform decimation.

import Foundation

/// Samples a waveform at the end of every frame, just before the next frame's input edge.
public struct FrameSampler: Sendable {
    public let time: [Double]
    public let framePeriod: Double
    public let frames: Int
    /// sampling instant of frame k: (k+1)·T − guard·T (inputs change within the first 1 % of a frame)
    public var guardFraction = 0.002

    public init(time: [Double], framePeriod: Double, frames: Int) {
        self.time = time; self.framePeriod = framePeriod; self.frames = frames
    }

    public func instants() -> [Double] {
        (0..<frames).map { (Double($0 + 1) - guardFraction) * framePeriod }
    }

    /// Linear interpolation of `values` (same length as `time`) at every frame's sampling instant.
    public func sample(_ values: [Double]) -> [Double] {
        FrameSampler.sample(time: time, values: values, at: instants())
    }

    /// Linear interpolation of `values` (same length as `time`) at ascending `instants` (held at the ends).
    public static func sample(time: [Double], values: [Double], at instants: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(instants.count)
        var i = 0
        for t in instants {
            while i + 1 < time.count && time[i + 1] < t { i += 1 }
            if i + 1 >= time.count { out.append(values[min(i, values.count - 1)]); continue }
            let t0 = time[i], t1 = time[i + 1]
            let w = t1 > t0 ? (t - t0) / (t1 - t0) : 0
            out.append(values[i] + (values[i + 1] - values[i]) * min(max(w, 0), 1))
        }
        return out
    }
}

enum Integrate {
    /// time-average by the trapezoid rule
    static func mean(time: [Double], values: [Double]) -> Double {
        guard time.count >= 2, let first = time.first, let last = time.last, last > first else { return values.first ?? 0 }
        var area = 0.0
        for i in 1..<min(time.count, values.count) {
            area += (values[i] + values[i - 1]) * 0.5 * (time[i] - time[i - 1])
        }
        return area / (last - first)
    }
}

enum Decisions {
    /// index of the largest value; the lowest index wins ties
    static func argmax(_ row: [Double]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    /// difference between the largest and the second largest value (infinite for fewer than 2 values)
    static func gap(_ row: [Double]) -> Double {
        guard row.count >= 2 else { return .infinity }
        let sorted = row.sorted(by: >)
        return sorted[0] - sorted[1]
    }

    /// the most frequent class; the lowest class wins ties
    static func majority(_ votes: [Int], classes: Int) -> Int {
        var counts = [Int](repeating: 0, count: max(classes, 1))
        for v in votes where v < counts.count { counts[v] += 1 }
        var best = 0
        for i in counts.indices where counts[i] > counts[best] { best = i }
        return best
    }
}

enum Decimate {
    /// keeps at most maxPoints samples (min/max per bucket so edges survive)
    static func series(time: [Double], values: [Double], maxPoints: Int) -> (time: [Double], volts: [Double]) {
        let n = min(time.count, values.count)
        if n <= maxPoints { return (Array(time.prefix(n)), Array(values.prefix(n))) }
        let buckets = maxPoints / 2
        var t: [Double] = [], v: [Double] = []
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = max(lo + 1, (b + 1) * n / buckets)
            var iMin = lo, iMax = lo
            for i in lo..<hi {
                if values[i] < values[iMin] { iMin = i }
                if values[i] > values[iMax] { iMax = i }
            }
            for i in [min(iMin, iMax), max(iMin, iMax)] { t.append(time[i]); v.append(values[i]) }
        }
        return (t, v)
    }
}
