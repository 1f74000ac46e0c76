// The benches `bmru calibrate` runs, batched so that few decks are loaded (each load parses the ~1 MB model
// library, 50-100 ms): one `.op` deck holds every (current, finger width) weight mirror of a path, one pair
// of DC sweeps per cell (see cellDecks for why not more), one
// transient holds all settling mirrors, one `.op` deck holds the Monte Carlo instances.
// Running the decks is the caller's business: `measure` takes a `simulate` closure, so this module stays
// simulator-free.

import Netlist
import BMRUModel
import Foundation

public enum CalibrationBench {
    /// input currents of the mirror table, A (the trained range 0.05..4 nA)
    public static let mirrorCurrents: [Double] = [5e-11, 1e-10, 2e-10, 5e-10, 1e-9, 2e-9, 4e-9]
    /// drawn finger widths of the mirror table, µm (the in-bin range of one finger)
    public static let fingerWidths: [Double] = [1.2, 1.4, 1.7, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 7.918]
    /// unit currents of the cell table, A
    public static let cellUnitCurrents: [Double] = [1e-10, 3e-10, 1e-9, 3e-9]
    /// θ_high biases (units) and hysteresis widths (units) of the cell grid; widths ≤ 0.75·θ_high
    public static let thetaGrid: [Double] = [0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 4]
    public static let widthGrid: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2]
    public static let levelGrid: [Double] = [0.1, 0.25, 0.5, 1, 2, 4]
    /// settling bench currents, A
    public static let settlingCurrents: [Double] = [5e-11, 1e-10, 2e-10, 5e-10, 1e-9, 2e-9, 4e-9]
    /// delvto applied to measure the sensitivities, V
    public static let sensitivityStep = 0.005
    /// Monte Carlo instances per device group
    public static let monteCarloInstances = 400

    /// The weight that one finger of drawn width `wf` realises nominally.
    static func weight(fingerWidth wf: Double) -> Double {
        (wf - Technology.deltaWidth) / (Double(Technology.referenceFingers) * (Technology.unitWidth - Technology.deltaWidth))
    }

    // MARK: - mirrors

    /// One input per table current (+ one at zero for the leakage row). relu deck: a positive and a negative
    /// row per (current, width) and the leakage row; identity deck: one cascoded row per (current, width).
    public static func mirrorNetwork(identity: Bool) -> Network {
        let nC = mirrorCurrents.count
        var rows: [[Double]] = [], bias: [Double] = []
        for (k, i) in mirrorCurrents.enumerated() {
            let x = i / 1e-9
            for wf in fingerWidths {
                let w = weight(fingerWidth: wf)
                var r = [Double](repeating: 0, count: nC + 1)
                r[k] = w
                rows.append(r); bias.append(0)
                if !identity {
                    r[k] = -w
                    rows.append(r); bias.append((w + 1) * x)
                }
            }
        }
        if !identity {
            var r = [Double](repeating: 0, count: nC + 1)
            r[nC] = 4
            rows.append(r); bias.append(0)
        }
        return Network(name: identity ? "calib_mirror_identity" : "calib_mirror", unitCurrent: 1e-9, framePeriod: 0.01,
                       inputs: nC + 1, layers: [
                           Layer(name: "m", kind: .dense, weights: rows, bias: bias, activation: identity ? .identity : .relu),
                       ])
    }

    public static var mirrorStimulus: Stimulus {
        Stimulus(frames: [mirrorCurrents.map { $0 / 1e-9 } + [0]], inputs: mirrorCurrents.count + 1)
    }

    /// The `.op` deck of a mirror bench; `offsets` (device -> delvto, V) for the sensitivity run.
    public static func mirrorDeck(identity: Bool, options: DeckOptions, offsets: [String: Double] = [:]) throws -> String {
        var o = options
        o.analysis = .operatingPoint
        o.calibration = nil
        var emitted = try DeckEmitter.emit(network: mirrorNetwork(identity: identity), stimulus: mirrorStimulus, options: o)
        try emitted.edit { deck in
            if !offsets.isEmpty { DeviceOffsets.apply(to: &deck, offsets: offsets) }
            // the PMOS output diodes' voltages for the PMOS slope
            if identity {
                try deck.insertBeforeAnalysis(.save((0..<(mirrorCurrents.count * fingerWidths.count)).map { "v(p_m_\($0))" }))
            }
        }
        return emitted.text
    }

    /// Row index of (current k, width w) in the relu deck: positive row, negative row = +1.
    static func reluRow(_ k: Int, _ w: Int) -> Int { 2 * (k * fingerWidths.count + w) }

    static func value(_ v: [String: [Double]], _ names: String...) throws -> Double {
        for n in names { if let x = v[n]?.first { return x } }
        throw CharacterizationError(reason: "vector \(names[0]) missing (have \(v.count) vectors)")
    }

    /// Factor tables from the two `.op` results.
    public static func analyzeMirrors(relu: [String: [Double]], identity: [String: [Double]])
        throws -> (positive: [[Double]], negative: [[Double]], cascoded: [[Double]], leakage: Double) {
        var pos: [[Double]] = [], neg: [[Double]] = [], cas: [[Double]] = []
        for (k, i) in mirrorCurrents.enumerated() {
            var p: [Double] = [], n: [Double] = [], c: [Double] = []
            for (j, wf) in fingerWidths.enumerated() {
                let w = weight(fingerWidth: wf)
                let rp = reluRow(k, j), rn = rp + 1, ri = k * fingerWidths.count + j
                let op = try value(relu, "i(vo_m_\(rp))", "vo_m_\(rp)#branch")
                let on = try value(relu, "i(vo_m_\(rn))", "vo_m_\(rn)#branch")
                let oc = try value(identity, "i(vo_m_\(ri)_p)", "vo_m_\(ri)_p#branch")
                p.append(op / (w * i))
                n.append(((w + 1) * i - on) / (w * i))
                c.append(oc / (w * i))
            }
            pos.append(p); neg.append(n); cas.append(c)
        }
        let last = 2 * mirrorCurrents.count * fingerWidths.count
        let leak = try value(relu, "i(vo_m_\(last))", "vo_m_\(last)#branch")
        return (pos, neg, cas, leak)
    }

    /// n·U_T of the NMOS input diodes and the PMOS output diodes (least-squares slope of V against ln I).
    public static func analyzeSlopes(relu: [String: [Double]], identity: [String: [Double]], vdd: Double) throws -> (nmos: Double, pmos: Double) {
        var xn: [Double] = [], yn: [Double] = []
        for (k, i) in mirrorCurrents.enumerated() {
            xn.append(log(i)); yn.append(try value(relu, "v(in_\(k))", "in_\(k)"))
        }
        // PMOS: the diode of the 4 µm-finger row at each current carries its measured current
        let j = fingerWidths.firstIndex(of: 4.0) ?? 0
        var xp: [Double] = [], yp: [Double] = []
        for k in 0..<mirrorCurrents.count {
            let ri = k * fingerWidths.count + j
            let i = try value(identity, "i(vo_m_\(ri)_p)", "vo_m_\(ri)_p#branch")
            xp.append(log(i)); yp.append(vdd - (try value(identity, "v(p_m_\(ri))", "p_m_\(ri)")))
        }
        return (fit(xn, yn), fit(xp, yp))
    }

    static func fit(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxy / sxx
    }

    /// Devices whose delvto the sensitivity run shifts: the negative row's weight device (NMOS, plain
    /// sink) and the positive row's PMOS mirror output device, both at 1 nA with 4 µm fingers.
    public static var sensitivityOffsets: [String: Double] {
        let k = mirrorCurrents.firstIndex(of: 1e-9)!, j = fingerWidths.firstIndex(of: 4.0)!
        let rp = reluRow(k, j), rn = rp + 1
        return ["xw_m_\(rn)_\(k).m1": sensitivityStep, "xpm_m_\(rp).m2": sensitivityStep]
    }

    /// d ln I / d delvto of the NMOS and the PMOS output device.
    public static func analyzeSensitivity(nominal: [String: [Double]], shifted: [String: [Double]]) throws -> (nmos: Double, pmos: Double) {
        let k = mirrorCurrents.firstIndex(of: 1e-9)!, j = fingerWidths.firstIndex(of: 4.0)!
        let rp = reluRow(k, j), rn = rp + 1
        let i = 1e-9, w = weight(fingerWidth: 4.0)
        let n0 = (w + 1) * i - (try value(nominal, "i(vo_m_\(rn))", "vo_m_\(rn)#branch"))
        let n1 = (w + 1) * i - (try value(shifted, "i(vo_m_\(rn))", "vo_m_\(rn)#branch"))
        let p0 = try value(nominal, "i(vo_m_\(rp))", "vo_m_\(rp)#branch")
        let p1 = try value(shifted, "i(vo_m_\(rp))", "vo_m_\(rp)#branch")
        return (log(n1 / n0) / sensitivityStep, log(p1 / p0) / sensitivityStep)
    }

    // MARK: - cells

    /// The cell grid: (θ_high, width, level) biases in units.
    public static var cellGrid: [(Double, Double, Double)] {
        var g: [(Double, Double, Double)] = []
        for th in thetaGrid {
            for wd in widthGrid where wd <= 0.75 * th + 1e-12 {
                g.append((th, wd, levelGrid[g.count % levelGrid.count]))
            }
        }
        return g
    }

    /// One cell (θ_high, width, level biases in units) fed by weight 1 from one input.
    public static func cellNetwork(unitCurrent iu: Double, cell c: (Double, Double, Double)) -> Network {
        Network(name: "calib_cell", unitCurrent: iu, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "cell", kind: .bmru, weights: [[1]], bias: [0], thetaLow: [c.0 - c.1], thetaHigh: [c.0], level: [c.2],
                  initialState: [0]),
        ])
    }

    /// Sweep points per direction; the swept variable runs over 0..2 θ_high.
    public static let sweepPoints = 1000

    /// Up and down DC sweeps of one cell. One cell per deck: a DC sweep that fails to converge at a point
    /// restarts from a fresh operating point, which puts every bistable cell of the deck on one branch, so cells
    /// sharing a deck disturbed each other's loops. The input iin_0 is replaced by a current-controlled copy
    /// of the swept current through `vsw`, scaled to the cell's θ_high, so every cell is resolved to the same
    /// relative step.
    public static func cellDecks(unitCurrent iu: Double, cell c: (Double, Double, Double), options: DeckOptions) throws -> (up: String, down: String) {
        let net = cellNetwork(unitCurrent: iu, cell: c)
        let top = 2e-9, step = top / Double(sweepPoints)
        func deck(_ a: Double, _ b: Double, _ s: Double) throws -> String {
            var o = options
            o.calibration = nil
            o.analysis = .dcSweep(source: "isw", start: a, stop: b, step: s)
            var emitted = try DeckEmitter.emit(network: net, stimulus: nil, options: o)
            do {
                try emitted.edit { deck in
                    try deck.replaceElement("iin_0", with: [
                        .comment("calibration sweep: the cell input copies i(vsw) x theta_high x I_unit / 1 nA"),
                        .element(.source("isw", ["0", "nsw"], .dc(0))),
                        .element(.source("vsw", ["nsw", "0"], .constant(0))),
                        .element(.source("fin_0", ["0", "in_0"], .currentControlled(through: "vsw", gain: c.0 * iu / 1e-9))),
                    ])
                }
            } catch {
                throw CharacterizationError(reason: "cell bench: \(error)")
            }
            return emitted.text
        }
        return (try deck(0, top, step), try deck(top, 0, -step))
    }

    /// Switching points and levels of one cell from its two sweeps.
    public static func analyzeCell(up: [String: [Double]], down: [String: [Double]], cell c: (Double, Double, Double), unitCurrent iu: Double, vdd: Double) throws -> CellPoint {
        func vec(_ d: [String: [Double]], _ names: String...) throws -> [Double] {
            for n in names { if let v = d[n] { return v } }
            throw CharacterizationError(reason: "vector \(names[0]) missing from the cell sweep")
        }
        func crossing(_ d: [String: [Double]], rising: Bool) throws -> Double {
            let s = try vec(d, "v(s_cell_0)", "s_cell_0")
            let cand = try vec(d, "i(vc_cell_0)", "vc_cell_0#branch")
            let half = vdd / 2
            for q in 1..<s.count where rising ? (s[q - 1] < half && s[q] >= half) : (s[q - 1] >= half && s[q] < half) {
                return (cand[q - 1] + cand[q]) / 2 / iu
            }
            throw CharacterizationError(reason: "cell θ_high \(c.0), width \(c.1) at I_unit \(iu) A never switched \(rising ? "up" : "down")")
        }
        let outDown = try vec(down, "i(vo_cell_0)", "vo_cell_0#branch")
        let outUp = try vec(up, "i(vo_cell_0)", "vo_cell_0#branch")
        return CellPoint(thetaHighBias: c.0, widthBias: c.1, levelBias: c.2,
                         switchUp: try crossing(up, rising: true), switchDown: try crossing(down, rising: false),
                         levelOn: outDown[0] / iu, levelOff: outUp[0] / iu)
    }

    // MARK: - settling

    /// One input per current, weight 1 relu rows; the inputs step from half to full current at t = T.
    public static let settlingFrame = 0.004
    public static func settlingDeck(options: DeckOptions) throws -> String {
        let n = settlingCurrents.count
        let net = Network(name: "calib_settling", unitCurrent: 1e-9, framePeriod: settlingFrame, inputs: n, layers: [
            Layer(name: "m", kind: .dense, weights: (0..<n).map { j in (0..<n).map { $0 == j ? 1.0 : 0.0 } },
                  bias: [Double](repeating: 0, count: n)),
        ])
        let x = settlingCurrents.map { $0 / 1e-9 }
        let stim = Stimulus(frames: [x.map { $0 / 2 }, x], inputs: n)
        var o = options
        o.calibration = nil
        o.analysis = .transient
        o.stepsPerFrame = 4000
        o.edgeFraction = 0.0005
        return try DeckEmitter.emit(network: net, stimulus: stim, options: o).text
    }

    /// Time from the input edge until the output covers 63 % of its change.
    public static func analyzeSettling(_ v: [String: [Double]]) throws -> [SettlingPoint] {
        guard let t = v["time"] else { throw CharacterizationError(reason: "settling: no time vector") }
        var out: [SettlingPoint] = []
        let edge = settlingFrame, end = 2 * settlingFrame
        for (k, i) in settlingCurrents.enumerated() {
            guard let y = v["i(vo_m_\(k))"] ?? v["vo_m_\(k)#branch"] else { throw CharacterizationError(reason: "settling: probe vo_m_\(k) missing") }
            func at(_ time: Double) -> Double {
                let q = t.lastIndex { $0 <= time } ?? 0
                return y[q]
            }
            let y0 = at(edge * 0.999), y1 = y[y.count - 1]
            let target = y0 + 0.632 * (y1 - y0)
            var tau = end - edge
            for q in 1..<t.count where t[q] > edge && y[q] >= target {
                let f = (target - y[q - 1]) / (y[q] - y[q - 1])
                tau = t[q - 1] + f * (t[q] - t[q - 1]) - edge
                break
            }
            _ = i
            out.append(SettlingPoint(currentA: settlingCurrents[k], tauS: max(tau, 1e-9)))
        }
        return out
    }

    // MARK: - Monte Carlo A_VT

    /// Diode-connected PDK wrapper instances (`x… nmos_3p3` / `pmos_3p3`, whose per-instance `agauss` draw
    /// sets delvto) at 1 nA: groups NMOS W 4 L 2, NMOS W 1.2 L 2 (checks the area scaling), PMOS W 4 L 4.
    public static let monteCarloGroups: [(device: String, w: Double, l: Double)] = [
        ("nmos_3p3", 4, 2), ("nmos_3p3", 1.2, 2), ("pmos_3p3", 4, 4),
    ]

    public static func monteCarloDeck(options: DeckOptions, seed: Int) -> String {
        var s = "* bmru calibrate: Monte Carlo of V_GS at 1 nA over PDK wrapper instances (per-instance mismatch)\n"
        s += ".include \"\(options.modelsDirectory)/design.ngspice\"\n"
        s += ".lib \"\(options.modelsDirectory)/sm141064.ngspice\" \(options.corner.rawValue)\n"
        s += ".param sw_stat_global=0 sw_stat_mismatch=1\n.option seed=\(seed)\n"
        s += ".temp \(NumberText.spice(options.temperature))\n" + Technology.options + "\n"
        s += "vdd vdd 0 \(NumberText.spice(options.vdd))\n"
        var saves: [String] = []
        for (gi, g) in monteCarloGroups.enumerated() {
            for k in 0..<monteCarloInstances {
                let d = "d\(gi)_\(k)"
                if g.device.hasPrefix("n") {
                    s += "i\(gi)_\(k) 0 \(d) dc 1n\nx\(gi)_\(k) \(d) \(d) 0 0 \(g.device) w=\(NumberText.micrometres(g.w)) l=\(NumberText.micrometres(g.l))\n"
                } else {
                    s += "i\(gi)_\(k) \(d) 0 dc 1n\nx\(gi)_\(k) \(d) \(d) vdd vdd \(g.device) w=\(NumberText.micrometres(g.w)) l=\(NumberText.micrometres(g.l))\n"
                }
                saves.append(d)
            }
        }
        var k = 0
        while k < saves.count {
            s += ".save " + saves[k..<min(k + 20, saves.count)].map { "v(\($0))" }.joined(separator: " ") + "\n"
            k += 20
        }
        s += ".op\n.end\n"
        return s
    }

    /// σ(V_GS) per group and the A_VT it implies with the PDK's effective sizes (W + 0.1 µm, L − 0.15 µm).
    public static func analyzeMonteCarlo(_ v: [String: [Double]]) throws -> [(sigmaV: Double, avt: Double)] {
        var out: [(Double, Double)] = []
        for (gi, g) in monteCarloGroups.enumerated() {
            var xs: [Double] = []
            for k in 0..<monteCarloInstances {
                guard let x = (v["v(d\(gi)_\(k))"] ?? v["d\(gi)_\(k)"])?.first else {
                    throw CharacterizationError(reason: "Monte Carlo: node d\(gi)_\(k) missing")
                }
                xs.append(x)
            }
            let m = xs.reduce(0, +) / Double(xs.count)
            let sd = (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
            out.append((sd, sd * ((g.w + 0.1) * (g.l - 0.15)).squareRoot()))
        }
        return out
    }

    // MARK: - everything

    /// Runs every bench through `simulate` (deck text -> vectors) and assembles the calibration file.
    /// `progress` gets one line per step.
    public static func measure(options: DeckOptions, generator: String,
                               simulate: (String) throws -> [String: [Double]],
                               progress: (String) -> Void) throws -> CalibrationFile {
        let models = try CalibrationFile.modelFingerprints(directory: options.modelsDirectory)
        progress("mirrors: \(mirrorCurrents.count) currents × \(fingerWidths.count) widths × 3 paths")
        let relu = try simulate(try mirrorDeck(identity: false, options: options))
        let ident = try simulate(try mirrorDeck(identity: true, options: options))
        let m = try analyzeMirrors(relu: relu, identity: ident)
        let slopes = try analyzeSlopes(relu: relu, identity: ident, vdd: options.vdd)
        progress("delvto sensitivity")
        let shifted = try simulate(try mirrorDeck(identity: false, options: options, offsets: sensitivityOffsets))
        let sens = try analyzeSensitivity(nominal: relu, shifted: shifted)
        var rows: [CellTableRow] = []
        for iu in cellUnitCurrents {
            progress("cells at I_unit \(NumberText.spice(iu)) A: \(cellGrid.count) cells, 2 sweeps of \(sweepPoints) points each")
            var points: [CellPoint] = []
            for c in cellGrid {
                let d = try cellDecks(unitCurrent: iu, cell: c, options: options)
                points.append(try analyzeCell(up: try simulate(d.up), down: try simulate(d.down), cell: c, unitCurrent: iu, vdd: options.vdd))
            }
            rows.append(CellTableRow(unitCurrentA: iu, points: points))
        }
        progress("settling: \(settlingCurrents.count) mirrors")
        let settling = try analyzeSettling(try simulate(try settlingDeck(options: options)))
        progress("Monte Carlo: \(monteCarloInstances) instances × \(monteCarloGroups.count) device groups")
        let mc = try analyzeMonteCarlo(try simulate(monteCarloDeck(options: options, seed: 1)))
        let facts = DeviceFacts(nmosSlopeV: slopes.nmos, pmosSlopeV: slopes.pmos,
                                nmosDelvtoSensitivity: sens.nmos, pmosDelvtoSensitivity: sens.pmos,
                                nmosAVT: (mc[0].avt + mc[1].avt) / 2 * 1e-0, pmosAVT: mc[2].avt,
                                nmosAVTModel: 0.7071 * 0.007148, pmosAVTModel: 0.7071 * 0.00666,
                                monteCarloInstances: monteCarloInstances, mismatchDeltaWUm: -0.1, mismatchDeltaLUm: 0.15)
        return CalibrationFile(generator: generator, corner: options.corner.rawValue, temperatureC: options.temperature,
                               vdd: options.vdd, modelFiles: models, cellLibrarySHA256: CalibrationFile.currentCellLibrarySHA256,
                               mirror: MirrorTable(currentsA: mirrorCurrents, fingerWidthsUm: fingerWidths, positive: m.positive,
                                                   negative: m.negative, cascoded: m.cascoded, leakageA: m.leakage),
                               cells: rows, settling: settling, devices: facts)
    }
}
