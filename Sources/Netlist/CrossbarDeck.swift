// A crossbar-rnn-network as one transistor-level deck: per layer a memristor array (CrossbarMapping) into
// column integrators, a ramp generator programmed for the layer's activation (RampProgram), a GF180MCU
// comparator and a counter per column, and a sample-and-hold per column whose code drives the next layer's
// rows and, for a recurrent layer, its own rows in the next frame.
//
// Time: the circuit computes a frame in microseconds and would idle for the rest of the network's frame
// period, so the deck runs the frames back to back: frame t, layer k is conversion slot t·L + k, each slot a
// full conversion (reset, integrate, 2^B − 1 ramp clock periods) followed by a transfer phase in which the
// counts move to the holds. Energies are per frame; the report scales them to the network's frame period.

import BMRUModel
import Foundation

/// Where everything of a crossbar deck is, for reading the simulation back.
public struct CrossbarDeckPlan: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// node-name prefix: "l<k>"
        public var prefix: String
        public var units: Int
        /// S per weight unit
        public var unitConductance: Double
        /// counter volts per count
        public var countStep: Double
        public var program: RampProgram
        public var mapping: CrossbarLayerMapping
        /// the counter vectors, per unit
        public var counterVectors: [String]
        /// the column output vectors, per unit
        public var columnVectors: [String]
    }

    public var technology: CrossbarTechnology
    public var layers: [Layer]
    public var frames: Int
    /// one conversion slot and the whole frame (all layers), s
    public var slotTime: Double
    public var frameTime: Double
    /// the conversion phases, relative to a slot's start
    public var schedule: ConversionSchedule
    public var transferTime: Double
    /// the supply of comparators, counters and holds
    public var supplyVector: String

    public func slotStart(frame t: Int, layer k: Int) -> Double { Double(t) * frameTime + Double(k) * slotTime }
    /// the count of (t, k) is read here, just before its transfer
    public func readTime(frame t: Int, layer k: Int) -> Double { slotStart(frame: t, layer: k) + schedule.readTime(0) }
    /// the column integrators hold the pre-activation here (integration over, ramp not started)
    public func preActivationTime(frame t: Int, layer k: Int) -> Double {
        slotStart(frame: t, layer: k) + schedule.integrationStart(0) + technology.integrationTime + technology.edgeTime
            + 0.5 * technology.settleTime
    }
}

public enum CrossbarDeck {
    /// Transfer phase after every conversion: the hold switches close for this long.
    public static let transferTime = 200e-9
    public static let holdCapacitance = 1e-12

    /// The technology with the network's conductance range.
    public static func technology(for net: CrossbarNetwork, base: CrossbarTechnology = .gf180mcu) -> CrossbarTechnology {
        var t = base
        t.gMin = net.conductanceRange.lowerBound
        t.gMax = net.conductanceRange.upperBound
        return t
    }

    /// The deck and its plan. `programming` perturbs the devices (CrossbarMapping); `options` gives the model
    /// files, corner and temperature.
    public static func emit(network net: CrossbarNetwork, stimulus: Stimulus, options: DeckOptions,
                            programming: CrossbarProgramming = CrossbarProgramming(),
                            base: CrossbarTechnology = .gf180mcu) throws -> (deck: SpiceDeck, plan: CrossbarDeckPlan) {
        guard DeckEmitter.isSafePath(options.modelsDirectory) else {
            throw CrossbarError(field: "models", reason: "path is empty or contains quotes, control characters or shell characters")
        }
        guard stimulus.count > 0, stimulus.inputs == net.inputs else {
            throw CrossbarError(field: "stimulus", reason: "needs at least one frame of \(net.inputs) inputs")
        }
        let (t, layers) = try layerPlans(network: net, programming: programming, base: base)
        let n = NumberText.spice
        let bitsMax = net.layers.map(\.adcBits).max()!
        // every layer's slot is as long as the widest ADC's, so slots line up
        let sched = ConversionSchedule(technology: t, bits: bitsMax)
        let slot = sched.conversionTime + transferTime
        let L = net.layers.count
        let frame = Double(L) * slot
        let plan = CrossbarDeckPlan(technology: t, layers: layers, frames: stimulus.count, slotTime: slot, frameTime: frame,
                                    schedule: sched, transferTime: transferTime, supplyVector: "i(vdd)")

        var c: [SpiceCard] = []
        func note(_ s: String) { for line in s.split(separator: "\n", omittingEmptySubsequences: false) { c.append(.comment(String(line))) } }
        note("""
            AnalogBMRU crossbar RNN deck: \(net.name)
            \(net.inputs) inputs, \(L) layers, \(stimulus.count) frames; corner \(options.corner.rawValue), VDD \(n(t.vdd)) V, \(n(options.temperature)) C
            Generated by bmru \(options.generatorVersion). Memristors are ideal resistors at their programmed conductance;
            integrator op-amps, the counters' gated current and the row DACs are behavioural; comparators, counter
            logic and switches are GF180MCU transistors.

            Time is compressed: frame t, layer k is conversion slot t*\(L) + k of \(n(slot)) s (a frame: \(n(frame)) s,
            the network's frame period \(n(net.framePeriod)) s). A slot: reset, integrate \(n(t.integrationTime)) s, \((1 << bitsMax) - 1)
            ramp clock periods of \(n(t.clockPeriod)) s, then \(n(transferTime)) s in which the counts move to the holds.
            Rows: input j of a layer drives in_p at V_cm + V_read*x/s and in_n at V_cm - V_read*x/s while the layer
              integrates (s: the row's full scale); G+ sits on in_p, G- on in_n, so a column integrates
              G_unit*V_read*(W*x + U*h + b). Rows fed by another layer's code (or the layer's own, one frame late)
              are behavioural DACs of the held count: x = f_low + lsb*nint(v(hold)/step).
            Probes: v(l<k>_cnt_<i>) the count (read at the end of the slot), v(l<k>_col_<i>) the column output,
              v(l<k>_ramp) the ramp, i(vdd) the supply of comparators, counters and holds.
            Node prefix l<k> is layer k: \(net.layers.enumerated().map { "l\($0.offset) = \($0.element.name)" }.joined(separator: ", ")).

            """)
        c += CrossbarCells.preamble(options)
        c.append(.comment(""))
        c += CrossbarCells.integrator(t)
        c.append(.comment(""))
        c += CrossbarCells.comparator(t)
        for bits in Set(net.layers.map(\.adcBits)).sorted() {
            c.append(.comment(""))
            c += CrossbarCells.counter(t, bits: bits).map { card in
                if case var .subcircuit(s) = card { s.name = counterName(bits); return .subcircuit(s) }
                return card
            }
        }
        for (k, l) in net.layers.enumerated() {
            c.append(.comment(""))
            c += array(layer: l, index: k, mapping: layers[k].mapping)
            c.append(.comment(""))
            c += CrossbarCells.rampGenerator(name: "cb_ramp_\(k)", program: layers[k].program)
        }

        note("\n---------------------------------------------------------------- supplies and bias")
        c.append(.element(.source("vdd", ["vdd", "0"], .constant(t.vdd))))
        c.append(.element(.source("vcm", ["vcm", "0"], .constant(t.commonMode))))
        c += CrossbarCells.comparatorBias(t, vdd: "vdd", nb: "nb")

        let e = t.edgeTime, vcm = t.commonMode
        func pulse(_ pts: inout [PWLPoint], at: Double, width w: Double, rest: Double, level: Double) {
            pts += [PWLPoint(at, rest), PWLPoint(at + e, level), PWLPoint(at + w, level), PWLPoint(at + w + e, rest)]
        }
        for (k, l) in net.layers.enumerated() {
            let P = layers[k].prefix, lay = layers[k]
            note("\n---------------------------------------------------------------- layer \(k): \(l.name) (\(l.kind.rawValue), \(l.units) units, \(l.activation.name), \(l.adcBits)-bit ADC)")
            // phases of every slot of this layer
            var rst: [PWLPoint] = [], en: [PWLPoint] = [], sh: [PWLPoint] = [], ien: [PWLPoint] = [], ini: [PWLPoint] = []
            var rows = [[PWLPoint]](repeating: [], count: lay.program.steps.count)
            for f in 0..<stimulus.count {
                let s0 = plan.slotStart(frame: f, layer: k)
                // every layer is held in reset from t = 0 to the end of its first reset (an integrator has no
                // operating point of its own)
                if f == 0 { rst += [PWLPoint(0, t.vdd), PWLPoint(s0 + t.resetTime - e, t.vdd), PWLPoint(s0 + t.resetTime, 0)] } else {
                    pulse(&rst, at: s0 - e, width: t.resetTime, rest: 0, level: t.vdd)
                }
                if f == 0 {
                    pulse(&ini, at: s0 + sched.integrationStart(0), width: t.integrationTime, rest: 0, level: 1)
                } else {
                    pulse(&ien, at: s0 + sched.integrationStart(0), width: t.integrationTime, rest: 0, level: 1)
                }
                for (j, st) in lay.program.steps.enumerated() {
                    if st.devices > 0 {
                        pulse(&rows[j], at: s0 + sched.pulseStart(0, step: j), width: t.rampPulseTime, rest: vcm,
                              level: vcm + Double(st.sign) * t.readVoltage)
                    }
                }
                for j in 0..<((1 << l.adcBits) - 1) {
                    let a = s0 + sched.enableStart(0, step: j), b = s0 + sched.enableEnd(0, step: j)
                    en += [PWLPoint(a, 0), PWLPoint(a + e, t.vdd), PWLPoint(b, t.vdd), PWLPoint(b + e, 0)]
                }
                pulse(&sh, at: s0 + sched.conversionTime, width: transferTime - 2 * e, rest: 0, level: t.vdd)
            }
            c.append(.element(.source("v\(P)_rst", ["\(P)_rst", "0"], .piecewiseLinear(dc: t.vdd, points: rst))))
            c.append(.element(.source("v\(P)_en", ["\(P)_en", "0"], .piecewiseLinear(dc: 0, points: en))))
            c.append(.element(.source("v\(P)_sh", ["\(P)_sh", "0"], .piecewiseLinear(dc: 0, points: sh))))
            c.append(.element(.source("v\(P)_ien", ["\(P)_ien", "0"], .piecewiseLinear(dc: 0, points: ien))))
            c.append(.element(.source("v\(P)_ini", ["\(P)_ini", "0"], .piecewiseLinear(dc: 0, points: ini))))
            for (j, pts) in rows.enumerated() {
                c.append(.element(.source("v\(P)_rr\(j)", ["\(P)_rr\(j)", "0"], pts.isEmpty ? .constant(vcm) : .piecewiseLinear(dc: vcm, points: pts))))
            }
            note("rows of the array (x: input, h: own output one frame late, b: bias)")
            for row in lay.mapping.rows {
                let a = t.readVoltage / row.fullScale
                let pn = "\(P)_\(row.label)"
                switch row.source {
                case let .input(j) where k == 0:
                    var pp: [PWLPoint] = [], pm: [PWLPoint] = []
                    for f in 0..<stimulus.count {
                        let x = stimulus.frames[f][j], at = plan.slotStart(frame: f, layer: 0) + sched.integrationStart(0)
                        pulse(&pp, at: at, width: t.integrationTime, rest: vcm, level: vcm + a * x)
                        pulse(&pm, at: at, width: t.integrationTime, rest: vcm, level: vcm - a * x)
                    }
                    c.append(.element(.source("v\(pn)p", ["\(pn)p", "0"], .piecewiseLinear(dc: vcm, points: pp))))
                    c.append(.element(.source("v\(pn)n", ["\(pn)n", "0"], .piecewiseLinear(dc: vcm, points: pm))))
                case let .input(j):
                    let src = layers[k - 1], adc = net.layers[k - 1].adc
                    c += dac(pn, hold: "l\(k - 1)_hold_\(j)", step: src.countStep, low: adc.outputLow, lsb: adc.lsb, gain: a,
                             enable: ["\(P)_ien", "\(P)_ini"], initial: nil)
                case let .recurrent(j):
                    let adc = l.adc
                    c += dac(pn, hold: "\(P)_hold_\(j)", step: lay.countStep, low: adc.outputLow, lsb: adc.lsb, gain: a,
                             enable: ["\(P)_ien"], initial: (node: "\(P)_ini", value: l.initialState?[j] ?? 0))
                case .bias:
                    c.append(.element(SpiceElement(name: "b\(pn)p", nodes: ["\(pn)p", "0"],
                                                   parameters: [SpiceParameter("v", "V(vcm)+(V(\(P)_ien)+V(\(P)_ini))*\(n(a))")])))
                    c.append(.element(SpiceElement(name: "b\(pn)n", nodes: ["\(pn)n", "0"],
                                                   parameters: [SpiceParameter("v", "V(vcm)-(V(\(P)_ien)+V(\(P)_ini))*\(n(a))")])))
                }
            }
            let rowNodes = lay.mapping.rows.flatMap { ["\(P)_\($0.label)p", "\(P)_\($0.label)n"] }
            c.append(.element(.instance("x\(P)_array", ["vcm", "\(P)_rst"] + rowNodes + (0..<l.units).map { "\(P)_col_\($0)" }, "cb_array_\(k)")))
            c.append(.element(.instance("x\(P)_ramp", ["vcm", "\(P)_rst", "\(P)_ramp"] + lay.program.steps.indices.map { "\(P)_rr\($0)" }, "cb_ramp_\(k)")))
            for i in 0..<l.units {
                c.append(.element(.instance("x\(P)_cmp_\(i)", ["vdd", "\(P)_ramp", "\(P)_col_\(i)", "nb", "\(P)_cmp_\(i)"], CrossbarCells.comparatorName)))
                c.append(.element(.instance("x\(P)_cnt_\(i)", ["vdd", "\(P)_cmp_\(i)", "\(P)_en", "\(P)_rst", "\(P)_cnt_\(i)"], counterName(l.adcBits))))
                c.append(.element(.source("e\(P)_buf_\(i)", ["\(P)_buf_\(i)", "0", "\(P)_cnt_\(i)", "0"], .constant(1))))
                c.append(.element(SpiceElement(name: "m\(P)_sh_\(i)", nodes: ["\(P)_hold_\(i)", "\(P)_sh", "\(P)_buf_\(i)", "0"],
                                               model: Technology.nmos,
                                               parameters: [SpiceParameter("w", NumberText.micrometres(CrossbarCells.switchW)),
                                                            SpiceParameter("l", NumberText.micrometres(CrossbarCells.switchL))])))
                c.append(.element(.source("c\(P)_hold_\(i)", ["\(P)_hold_\(i)", "0"], .constant(holdCapacitance))))
            }
        }
        note("\n---------------------------------------------------------------- saves, analysis")
        c.append(.save(layers.flatMap { $0.counterVectors + $0.columnVectors } + [plan.supplyVector]))
        c.append(.analysis(.transient(step: t.rampHoldTime / 8, stop: Double(stimulus.count) * frame)))
        note("standalone: `ngspice -b DECK.sp` runs the analysis above and writes the raw file")
        c.append(.control(rawPath: options.rawPath ?? "bmru.raw"))
        c.append(.end)
        return (SpiceDeck(cards: c), plan)
    }

    /// What every layer's circuit is: the technology with the network's conductance range, and per layer the
    /// conductance pairs and the ramp programmed on the same G_unit (the ramp's input scale is
    /// (g_max − g_min) / G_unit, so a ramp step of Δx moves the ramp as far as Δx of pre-activation moves a column).
    /// The deck and the circuit-aware model both start here.
    public static func layerPlans(network net: CrossbarNetwork, programming: CrossbarProgramming = CrossbarProgramming(),
                                  base: CrossbarTechnology = .gf180mcu) throws(CrossbarError) -> (CrossbarTechnology, [CrossbarDeckPlan.Layer]) {
        let t = technology(for: net, base: base)
        try t.validate()
        let mappings = CrossbarMapper.map(net, programming: programming)
        var layers = [CrossbarDeckPlan.Layer]()
        for (k, l) in net.layers.enumerated() {
            let m = mappings[k]
            let program: RampProgram
            do {
                program = try RampProgram(adc: l.adc, technology: t, unitConductance: m.unitConductance,
                                          quantizationLevels: net.conductanceLevels)
            } catch {
                throw CrossbarError(field: "layers[\(k)].\(error.field)", reason: error.reason)
            }
            let p = "l\(k)"
            layers.append(.init(name: l.name, prefix: p, units: l.units, unitConductance: m.unitConductance,
                                countStep: CrossbarCells.countStep(t, bits: l.adcBits), program: program, mapping: m,
                                counterVectors: (0..<l.units).map { "v(\(p)_cnt_\($0))" },
                                columnVectors: (0..<l.units).map { "v(\(p)_col_\($0))" }))
        }
        return (t, layers)
    }

    static func counterName(_ bits: Int) -> String { "\(CrossbarCells.counterName)_\(bits)b" }

    /// A behavioural DAC on a row pair: while `enable` is high (1 V) the pair carries V_cm ± gain·x with
    /// x = low + lsb·nint(v(hold)/step), the code held for this row; while `initial.node` is high, x = initial.value.
    static func dac(_ row: String, hold: String, step: Double, low: Double, lsb: Double, gain: Double, enable: [String],
                    initial: (node: String, value: Double)?) -> [SpiceCard] {
        let n = NumberText.spice
        let en = enable.map { "V(\($0))" }.joined(separator: "+")
        var x = "(\(en))*(\(n(low))+\(n(lsb))*nint(V(\(hold))/\(n(step))))"
        if let i = initial { x += "+V(\(i.node))*\(n(i.value))" }
        return [
            .element(SpiceElement(name: "b\(row)p", nodes: ["\(row)p", "0"], parameters: [SpiceParameter("v", "V(vcm)+\(n(gain))*(\(x))")])),
            .element(SpiceElement(name: "b\(row)n", nodes: ["\(row)n", "0"], parameters: [SpiceParameter("v", "V(vcm)-\(n(gain))*(\(x))")])),
        ]
    }

    /// The layer's memristor array: per unit a column of differential pairs into an integrator. Ports: vcm rst,
    /// then the row pairs (p, n) in mapping order, then the column outputs.
    static func array(layer l: CrossbarLayer, index k: Int, mapping m: CrossbarLayerMapping) -> [SpiceCard] {
        let n = NumberText.spice
        var cards: [SpiceCard] = [
            .comment("cb_array_\(k): layer \(l.name), \(l.units) columns x \(m.rows.count) row pairs; G_unit \(n(m.unitConductance)) S per weight unit"),
            .comment("  row pair r: G+ (on the p row) - G- (on the n row) = G_unit * w * s_r; the idle device of a pair is at g_min"),
        ]
        var sub: [SpiceCard] = []
        for i in 0..<l.units {
            for (r, row) in m.rows.enumerated() {
                sub.append(.element(.source("r\(i)_\(row.label)p", ["\(row.label)p", "vg\(i)"], .constant(1 / m.positive[i][r]))))
                sub.append(.element(.source("r\(i)_\(row.label)n", ["\(row.label)n", "vg\(i)"], .constant(1 / m.negative[i][r]))))
            }
            sub.append(.element(.instance("xint\(i)", ["vg\(i)", "col\(i)", "vcm", "rst"], CrossbarCells.integratorName)))
        }
        let ports = ["vcm", "rst"] + m.rows.flatMap { ["\($0.label)p", "\($0.label)n"] } + (0..<l.units).map { "col\($0)" }
        cards.append(.subcircuit(SpiceSubcircuit(name: "cb_array_\(k)", ports: ports, cards: sub)))
        return cards
    }
}
