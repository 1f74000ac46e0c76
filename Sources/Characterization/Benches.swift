// Characterisation benches built from the emitted cells: decks to run, and the analysis of their vectors.
// Running them is the caller's business (bmru characterize, tests), so this module stays simulator-free.

import Netlist
import BMRUModel
import Foundation

/// Hysteresis loop of one emitted FQ-BMRU cell.
public struct CellMeasurement: Codable, Equatable, Sendable {
    public var unitCurrentA: Double
    public var thetaLow: Double
    public var thetaHigh: Double
    public var level: Double
    /// switching points in units of the candidate current measured at the cell's own probe i(vc_cell_0)
    public var switchUp: Double
    public var switchDown: Double
    /// switching points in units of the input current (includes the +1 weight's mirror error)
    public var switchUpInput: Double
    public var switchDownInput: Double
    /// output current with s = 1 and with s = 0, units
    public var levelOn: Double
    public var levelOff: Double
    /// the transient ramp's view of the same cell (`bmru characterize cell --ramp`), when measured
    public var ramp: CellRampMeasurement?
    /// cell power (comparator, level copy and the cell's three references; candidate path excluded), W
    public var powerOnW: Double
    public var powerOffW: Double
    /// the shared bias generator (one per deck, not per cell), W
    public var sharedBiasPowerW: Double

    public var switchUpError: Double { thetaHigh == 0 ? switchUp : switchUp / thetaHigh - 1 }
    public var switchDownError: Double { thetaLow == 0 ? switchDown : switchDown / thetaLow - 1 }
    public var levelError: Double { level == 0 ? levelOn : levelOn / level - 1 }
}

/// Why a characterisation could not be analysed.
public struct CharacterizationError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }
}

public enum CellBench {
    /// The one-cell network: input -> weight 1 -> bmru cell.
    public static func network(thetaLow: Double, thetaHigh: Double, level: Double, unitCurrent: Double) -> Network {
        Network(name: "cell_bench", unitCurrent: unitCurrent, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [thetaLow], thetaHigh: [thetaHigh],
                  level: [level], initialState: [0]),
        ])
    }

    /// Top of the input sweep, units.
    public static func top(thetaHigh: Double) -> Double { max(2 * thetaHigh, thetaHigh + 0.5) }

    /// Two DC sweeps of iin_0: upwards from 0 (the cell starts at s = 0) and downwards from the top
    /// (it starts at s = 1). A DC sweep follows the branch it is on, so it traces the hysteresis loop
    /// in the quasi-static limit. `points` per sweep.
    public static func decks(thetaLow: Double, thetaHigh: Double, level: Double, unitCurrent: Double,
                             options: DeckOptions, points: Int = 1000) throws -> (up: String, down: String) {
        let net = network(thetaLow: thetaLow, thetaHigh: thetaHigh, level: level, unitCurrent: unitCurrent)
        let hi = top(thetaHigh: thetaHigh) * unitCurrent
        let step = hi / Double(points)
        var o = options
        o.analysis = .dcSweep(source: "iin_0", start: 0, stop: hi, step: step)
        let up = try DeckEmitter.emit(network: net, stimulus: nil, options: o).text
        o.analysis = .dcSweep(source: "iin_0", start: hi, stop: 0, step: -step)
        let down = try DeckEmitter.emit(network: net, stimulus: nil, options: o).text
        return (up, down)
    }

    /// Analyses the two sweeps' vectors (names as ngspice gives them, lower case).
    public static func analyze(up: [String: [Double]], down: [String: [Double]], thetaLow: Double, thetaHigh: Double,
                               level: Double, unitCurrent: Double, vdd: Double) throws -> CellMeasurement {
        func vec(_ d: [String: [Double]], _ names: [String]) throws -> [Double] {
            for n in names { if let v = d[n] { return v } }
            throw CharacterizationError(reason: "vector \(names[0]) missing from the sweep (have: \(d.keys.sorted().joined(separator: " ")))")
        }
        let sweepNames = ["i-sweep", "iin_0", "iin_0-sweep", "v-sweep"]
        let iu = unitCurrent
        func crossing(_ d: [String: [Double]], rising: Bool) throws -> (input: Double, candidate: Double) {
            let s = try vec(d, ["v(s_cell_0)", "s_cell_0"])
            let x = try vec(d, sweepNames)
            let c = try vec(d, ["i(vc_cell_0)", "vc_cell_0#branch"])
            let half = vdd / 2
            for k in 1..<s.count where rising ? (s[k - 1] < half && s[k] >= half) : (s[k - 1] >= half && s[k] < half) {
                // the state jumps between two sweep points: the threshold lies between them
                return ((x[k - 1] + x[k]) / 2, (c[k - 1] + c[k]) / 2)
            }
            throw CharacterizationError(reason: "the state never switched \(rising ? "up" : "down") during the sweep")
        }
        let u = try crossing(up, rising: true)
        let dn = try crossing(down, rising: false)
        let outDown = try vec(down, ["i(vo_cell_0)", "vo_cell_0#branch"])
        let outUp = try vec(up, ["i(vo_cell_0)", "vo_cell_0#branch"])
        // the cell's own supplies: comparator and level copy, and its three bias references
        let cellDown = try vec(down, ["i(vddcell_cell)", "vddcell_cell#branch"])
        let cellUp = try vec(up, ["i(vddcell_cell)", "vddcell_cell#branch"])
        let refDown = try vec(down, ["i(vddref_cell)", "vddref_cell#branch"])
        let refUp = try vec(up, ["i(vddref_cell)", "vddref_cell#branch"])
        let on = vdd * (abs(cellDown[0]) + abs(refDown[0]))
        let off = vdd * (abs(cellUp[0]) + abs(refUp[0]))
        return CellMeasurement(unitCurrentA: iu, thetaLow: thetaLow, thetaHigh: thetaHigh, level: level,
                               switchUp: u.candidate / iu, switchDown: dn.candidate / iu,
                               switchUpInput: u.input / iu, switchDownInput: dn.input / iu,
                               levelOn: outDown[0] / iu, levelOff: outUp[0] / iu,
                               powerOnW: on, powerOffW: off, sharedBiasPowerW: vdd * 2.25 * iu)
    }
}

/// The same cell driven by a slow transient ramp (a fine staircase) up and back down: thresholds as the cell
/// meets them in time, and how long it takes to switch once the input has crossed.
public struct CellRampMeasurement: Codable, Equatable, Sendable {
    /// duration of each direction of the ramp, s
    public var rampSeconds: Double
    /// staircase steps per direction (the input resolution is top / steps)
    public var steps: Int
    /// candidate current (probe i(vc_cell_0)) at the moment the state crosses VDD/2, units
    public var switchUp: Double
    public var switchDown: Double
    /// input current on the stair during which the state switched, units
    public var switchUpInput: Double
    public var switchDownInput: Double
    /// response time: from the start of the first stair past the quasi-static (DC sweep) threshold to the
    /// state's crossing of VDD/2, s (the input then exceeds the threshold by less than one stair)
    public var upDelaySeconds: Double
    public var downDelaySeconds: Double
    /// output current at the top of the ramp (s = 1) and at its end (s = 0), units
    public var levelOn: Double
    public var levelOff: Double
}

extension CellBench {
    /// A transient bench: the input climbs from 0 to `top(thetaHigh:)` in `steps` equal stairs over
    /// `rampSeconds`, then descends the same way. Returns the deck and the staircase (units, one value per stair).
    public static func rampDeck(thetaLow: Double, thetaHigh: Double, level: Double, unitCurrent: Double,
                                options: DeckOptions, rampSeconds: Double, steps: Int) throws -> (deck: String, stairs: [Double], stairSeconds: Double) {
        let hi = top(thetaHigh: thetaHigh)
        var stairs: [Double] = (0...steps).map { hi * Double($0) / Double(steps) }
        stairs += (0..<steps).reversed().map { hi * Double($0) / Double(steps) }
        var net = network(thetaLow: thetaLow, thetaHigh: thetaHigh, level: level, unitCurrent: unitCurrent)
        net.framePeriod = rampSeconds / Double(steps)
        var o = options
        o.analysis = .transient
        // the stairs of a fast ramp are deliberately shorter than the settling time: a bench, not a network
        o.operatingRange = nil
        let stim = Stimulus(frames: stairs.map { [$0] }, inputs: 1)
        return (try DeckEmitter.emit(network: net, stimulus: stim, options: o).text, stairs, net.framePeriod)
    }

    /// Reads the ramp's vectors: the first rising and the first falling crossing of VDD/2 by the state.
    /// `quasiStatic`: the DC sweep's measurement of the same cell, from which the delays are counted.
    public static func analyzeRamp(_ v: [String: [Double]], stairs: [Double], stairSeconds: Double, steps: Int,
                                   unitCurrent: Double, vdd: Double, quasiStatic: CellMeasurement) throws -> CellRampMeasurement {
        func vec(_ names: [String]) throws -> [Double] {
            for n in names { if let x = v[n] { return x } }
            throw CharacterizationError(reason: "vector \(names[0]) missing from the ramp (have: \(v.keys.sorted().joined(separator: " ")))")
        }
        let t = try vec(["time"]), s = try vec(["v(s_cell_0)", "s_cell_0"])
        let c = try vec(["i(vc_cell_0)", "vc_cell_0#branch"]), out = try vec(["i(vo_cell_0)", "vo_cell_0#branch"])
        let half = vdd / 2
        func crossing(rising: Bool, after: Double) throws -> (time: Double, candidate: Double) {
            for k in 1..<s.count where t[k] > after && (rising ? (s[k - 1] < half && s[k] >= half) : (s[k - 1] >= half && s[k] < half)) {
                let f = (half - s[k - 1]) / (s[k] - s[k - 1])
                return (t[k - 1] + f * (t[k] - t[k - 1]), c[k - 1] + f * (c[k] - c[k - 1]))
            }
            throw CharacterizationError(reason: "the state never switched \(rising ? "up" : "down") during the ramp")
        }
        func value(_ x: [Double], at time: Double) -> Double {
            guard let k = t.firstIndex(where: { $0 >= time }) else { return x.last ?? 0 }
            if k == 0 { return x[0] }
            let f = (time - t[k - 1]) / (t[k] - t[k - 1])
            return x[k - 1] + f * (x[k] - x[k - 1])
        }
        let up = try crossing(rising: true, after: 0)
        let peak = Double(steps + 1) * stairSeconds  // the end of the top stair
        let down = try crossing(rising: false, after: peak - stairSeconds)
        let upStair = max(0, min(Int(saturating: up.time / stairSeconds), stairs.count - 1))
        let downStair = max(0, min(Int(saturating: down.time / stairSeconds), stairs.count - 1))
        // the first stair of each direction past the quasi-static threshold (input units)
        let firstUp = stairs.indices.first { $0 <= steps && stairs[$0] > quasiStatic.switchUpInput } ?? upStair
        let firstDown = stairs.indices.first { $0 > steps && stairs[$0] < quasiStatic.switchDownInput } ?? downStair
        let iu = unitCurrent
        return CellRampMeasurement(
            rampSeconds: Double(steps) * stairSeconds, steps: steps,
            switchUp: up.candidate / iu, switchDown: down.candidate / iu,
            switchUpInput: stairs[upStair], switchDownInput: stairs[downStair],
            upDelaySeconds: up.time - Double(firstUp) * stairSeconds, downDelaySeconds: down.time - Double(firstDown) * stairSeconds,
            levelOn: value(out, at: peak - 0.01 * stairSeconds) / iu, levelOff: (out.last ?? 0) / iu)
    }
}

/// Gain of the emitted weight mirrors.
public struct MirrorMeasurement: Codable, Equatable, Sendable {
    public var ratio: Double
    public var inputCurrentA: Double
    /// the ratio the drawn geometry realises nominally (differs from `ratio` below the minimum weight)
    public var realizedRatio: Double
    /// drawn geometry
    public var fingers: Int
    public var fingerWidthUm: Double
    /// gain of the positive path (cascoded weight -> PMOS sum mirror -> output diode)
    public var positiveGain: Double
    /// gain of the negative path (plain weight sinking from the summing node)
    public var negativeGain: Double
    public var positiveError: Double { positiveGain / ratio - 1 }
    public var negativeError: Double { negativeGain / ratio - 1 }
}

public enum MirrorBench {
    /// One input, two relu outputs: out0 = R·x (positive path), out1 = (R+1)·x − R·x (negative path
    /// against an ideal bias of R+1 units, with x = 1 unit = the input current).
    public static func network(ratio: Double, current: Double) -> Network {
        Network(name: "mirror_bench", unitCurrent: current, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "m", kind: .dense, weights: [[ratio], [-ratio]], bias: [0, ratio + 1]),
        ])
    }

    public static func deck(ratio: Double, current: Double, options: DeckOptions) throws -> String {
        var o = options
        o.analysis = .operatingPoint
        return try DeckEmitter.emit(network: network(ratio: ratio, current: current),
                                    stimulus: Stimulus(frames: [[1]], inputs: 1), options: o).text
    }

    public static func analyze(_ v: [String: [Double]], ratio: Double, current: Double) throws -> MirrorMeasurement {
        guard let o0 = (v["i(vo_m_0)"] ?? v["vo_m_0#branch"])?.first,
              let o1 = (v["i(vo_m_1)"] ?? v["vo_m_1#branch"])?.first else {
            throw CharacterizationError(reason: "output probes missing (have: \(v.keys.sorted().joined(separator: " ")))")
        }
        let r = WeightRealization.realize(ratio)
        return MirrorMeasurement(ratio: ratio, inputCurrentA: current, realizedRatio: r.realizedMagnitude, fingers: r.fingers, fingerWidthUm: r.fingerWidth,
                                 positiveGain: o0 / current, negativeGain: (ratio + 1) - o1 / current)
    }
}
