// The activation of a crossbar RNN: a ramp ADC whose ramp is pre-distorted so that its count is f(x).
//
// A column's integrated current x is compared with a staircase ramp; the count of clock steps before the
// ramp passes x is the output code. With the ramp's steps placed at the inverse images of the output
// levels' mid-points, the count is f(x) rounded to the nearest of 2^B levels, with no digital activation
// afterwards. This file has the mathematics (the function, the thresholds, the code of an input); the
// conductances that realise the steps are the netlist's (Netlist/RampProgram.swift).

import Foundation

/// The function a ramp ADC realises. Non-decreasing over the input range it is programmed for.
public enum ActivationFunction: Sendable, Equatable {
    case tanh
    case sigmoid
    case relu
    case identity
    /// piecewise linear through the points (x strictly increasing, y non-decreasing); constant outside
    case table(x: [Double], y: [Double])

    /// The named functions, as written in files and on the command line.
    public static let names = ["tanh", "sigmoid", "relu", "identity"]

    /// `tanh`, `sigmoid`, `relu`, `identity`; nil for another name.
    public init?(name: String) {
        switch name {
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "relu": self = .relu
        case "identity": self = .identity
        default: return nil
        }
    }

    /// the name written in files ("table" for a table)
    public var name: String {
        switch self {
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .relu: return "relu"
        case .identity: return "identity"
        case .table: return "table"
        }
    }

    /// The reason a table cannot be used, nil when it can.
    public static func tableProblem(x: [Double], y: [Double]) -> String? {
        if x.count != y.count { return "x has \(x.count) points and y \(y.count)" }
        if x.count < 2 { return "needs at least 2 points, has \(x.count)" }
        if let k = x.indices.first(where: { !x[$0].isFinite || !y[$0].isFinite }) { return "point \(k) is not finite" }
        if let k = x.indices.dropFirst().first(where: { x[$0] <= x[$0 - 1] }) {
            return "x must increase strictly (point \(k): \(x[k]) after \(x[k - 1]))"
        }
        if let k = y.indices.dropFirst().first(where: { y[$0] < y[$0 - 1] }) {
            return "y must not decrease, a ramp ADC realises non-decreasing functions (point \(k): \(y[k]) after \(y[k - 1]))"
        }
        return nil
    }

    public func callAsFunction(_ v: Double) -> Double {
        switch self {
        case .tanh: return Foundation.tanh(v)
        case .sigmoid: return 1 / (1 + exp(-v))
        case .relu: return max(v, 0)
        case .identity: return v
        case let .table(xs, ys):
            if v <= xs[0] { return ys[0] }
            if v >= xs[xs.count - 1] { return ys[ys.count - 1] }
            var lo = 0, hi = xs.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if xs[mid] <= v { lo = mid } else { hi = mid }
            }
            let t = (v - xs[lo]) / (xs[hi] - xs[lo])
            return ys[lo] + t * (ys[hi] - ys[lo])
        }
    }

    /// The smallest x in `range` with f(x) ≥ y (bisection; f is non-decreasing), to within 1e-12 of the range.
    public func inverse(_ y: Double, in range: ClosedRange<Double>) -> Double {
        var lo = range.lowerBound, hi = range.upperBound
        if self(lo) >= y { return lo }
        let tol = 1e-12 * max(1, hi - lo)
        while hi - lo > tol {
            let mid = 0.5 * (lo + hi)
            if self(mid) >= y { hi = mid } else { lo = mid }
        }
        return hi
    }
}

/// A problem with a ramp ADC's settings.
public struct RampADCError: Error, CustomStringConvertible, Sendable, Equatable {
    public var field: String
    public var reason: String
    public var description: String { "\(field): \(reason)" }
}

/// A B-bit ramp ADC programmed for f over an input range: 2^B output levels spaced evenly between f(low) and
/// f(high), and the 2^B − 1 thresholds at which the count steps.
public struct RampADC: Sendable, Equatable {
    public static let bitRange = 1...10

    public let function: ActivationFunction
    public let bits: Int
    public let inputRange: ClosedRange<Double>
    /// f at the ends of the input range: the lowest and highest output level
    public let outputLow: Double
    public let outputHigh: Double
    /// the input at which the count reaches k, for k = 1 ... 2^B − 1 (ascending): f⁻¹ of the mid-point
    /// between levels k − 1 and k
    public let thresholds: [Double]

    /// 2^B
    public var levels: Int { 1 << bits }
    /// output step between adjacent codes
    public var lsb: Double { (outputHigh - outputLow) / Double(levels - 1) }

    public init(function: ActivationFunction, bits: Int, inputRange: ClosedRange<Double>) throws(RampADCError) {
        guard RampADC.bitRange.contains(bits) else {
            throw RampADCError(field: "bits", reason: "is \(bits), must be in \(RampADC.bitRange.lowerBound)...\(RampADC.bitRange.upperBound)")
        }
        guard inputRange.lowerBound.isFinite, inputRange.upperBound.isFinite, inputRange.upperBound > inputRange.lowerBound else {
            throw RampADCError(field: "input_range", reason: "must be two finite numbers, low < high (is \(inputRange))")
        }
        if case let .table(x, y) = function, let p = ActivationFunction.tableProblem(x: x, y: y) {
            throw RampADCError(field: "table", reason: p)
        }
        let lo = function(inputRange.lowerBound), hi = function(inputRange.upperBound)
        guard hi > lo else {
            throw RampADCError(field: "input_range", reason: "\(function.name) is constant over \(inputRange) (f = \(lo)): nothing to convert")
        }
        self.function = function; self.bits = bits; self.inputRange = inputRange
        outputLow = lo; outputHigh = hi
        let n = 1 << bits
        let step = (hi - lo) / Double(n - 1)
        thresholds = (1..<n).map { k in function.inverse(lo + (Double(k) - 0.5) * step, in: inputRange) }
    }

    /// The code of input x: how many thresholds are at or below it (0 ... 2^B − 1).
    public func code(_ x: Double) -> Int { RampADC.code(x, thresholds: thresholds) }

    /// The code against another set of ascending thresholds (a ramp as programmed, with its errors).
    public static func code(_ x: Double, thresholds: [Double]) -> Int {
        var lo = 0, hi = thresholds.count  // first index with threshold > x
        while lo < hi {
            let mid = (lo + hi) / 2
            if thresholds[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The output level of a code.
    public func value(code: Int) -> Double { outputLow + Double(code) * lsb }

    /// The quantised activation: the level of x's code.
    public func callAsFunction(_ x: Double) -> Double { value(code: code(x)) }

    /// The code closest to f(x) (what an ideal quantiser of f would give; equals `code(x)` up to ties).
    public func idealCode(_ x: Double) -> Int {
        let c = Int(((function(x) - outputLow) / lsb).rounded())
        return min(max(c, 0), levels - 1)
    }
}
