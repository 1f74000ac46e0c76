import BMRUModel
import Foundation
import Netlist
import Testing

/// The ramp column's conductances against values worked out by hand from the default CrossbarTechnology:
/// G per unit of x = (g_max − g_min)·T_int / (T_pulse·scale) = 99 µS · 400 ns / (100 ns · scale).
@Suite("RampProgram: conductances of the ramp column")
struct RampProgramTests {
    func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

    @Test("identity over [0, 3] at 2 bits: offset 66 µS, two steps of 2 x 66 µS, thresholds as designed")
    func identityTwoBits() throws {
        let adc = try RampADC(function: .identity, bits: 2, inputRange: 0...3)
        #expect(adc.thresholds.count == 3)
        for (t, want) in zip(adc.thresholds, [0.5, 1.5, 2.5]) { #expect(close(t, want)) }
        let p = try RampProgram(adc: adc)
        #expect(p.inputScale == 3)
        // 99e-6 * 4 / 3 = 132 µS per unit of x
        #expect(close(p.conductancePerInput, 132e-6))
        #expect(p.steps.count == 3)
        // offset 0.5 -> 66 µS on one device, rows pulse up
        #expect(p.offsetSign == 1 && p.offsetDevices == 1 && close(p.steps[0].conductance, 66e-6))
        // steps of 1.0 -> 132 µS > g_max: two devices of 66 µS each
        for s in p.steps.dropFirst() { #expect(s.devices == 2 && s.sign == 1 && close(s.conductance, 66e-6)) }
        for (t, want) in zip(p.realisedThresholds, [0.5, 1.5, 2.5]) { #expect(close(t, want)) }
        for x in stride(from: 0.0, through: 3.0, by: 0.25) { #expect(p.code(x) == adc.code(x)) }
        // a layer column of G_unit 33 µS per unit: input scale 99/33 = 3, the same program
        let q = try RampProgram(adc: adc, unitConductance: 33e-6)
        #expect(close(q.inputScale, 3) && q.steps.count == p.steps.count)
        for (a, b) in zip(q.steps, p.steps) { #expect(close(a.conductance, b.conductance) && a.devices == b.devices) }
    }

    @Test("quantised to 3 levels (1, 50.5, 100 µS), 66 µS devices become 50.5 µS and the thresholds move down")
    func quantised() throws {
        let adc = try RampADC(function: .identity, bits: 2, inputRange: 0...3)
        let p = try RampProgram(adc: adc, quantizationLevels: 3)
        #expect(RampProgram.levels(3, technology: .gf180mcu).enumerated().allSatisfy { close($0.element, [1e-6, 50.5e-6, 100e-6][$0.offset]) })
        for s in p.steps { #expect(close(s.conductance, 50.5e-6)) }
        // offset 50.5/132 = 0.3825757..., each step 2 * 50.5/132 = 0.7651515...
        let want = [50.5 / 132, 50.5 / 132 + 101 / 132.0, 50.5 / 132 + 202 / 132.0]
        for (t, w) in zip(p.realisedThresholds, want) { #expect(close(t, w)) }
        #expect(close(p.realisedThresholds[0], 0.382575757575, 1e-9))
        #expect(close(p.realisedThresholds[2], 1.912878787878, 1e-9))
        // x = 1.2 is below the designed threshold 1.5 but above the realised 1.1477: code 2 instead of 1
        #expect(adc.code(1.2) == 1 && p.code(1.2) == 2)
    }

    @Test("a first threshold below zero gives a negative offset; large steps use parallel devices")
    func negativeOffset() throws {
        // identity over [-3, 3] at 2 bits: levels -3, -1, 1, 3, thresholds -2, 0, 2; 132 µS per x
        let p = try RampProgram(adc: try RampADC(function: .identity, bits: 2, inputRange: -3...3))
        #expect(p.offsetSign == -1)
        // |offset| 2 -> 264 µS: 3 devices of 88 µS; each step 2 -> 3 x 88 µS
        for s in p.steps { #expect(s.devices == 3 && close(s.conductance, 88e-6)) }
        for (t, w) in zip(p.realisedThresholds, [-2.0, 0, 2]) { #expect(abs(t - w) < 1e-9) }
    }

    @Test("steps below g_min or an input scale below the range are refused with field and reason")
    func unrealisable() throws {
        // tanh at 10 bits: the middle steps need ~0.26 µS, below g_min 1 µS
        let adc = try RampADC(function: .tanh, bits: 10, inputRange: -3...3)
        do {
            _ = try RampProgram(adc: adc)
            Issue.record("a 10-bit tanh ramp should not be realisable")
        } catch {
            #expect(error.field.hasPrefix("steps["))
            #expect(error.reason.contains("below g_min"))
        }
        let tanh5 = try RampADC(function: .tanh, bits: 5, inputRange: -3...3)
        do {
            _ = try RampProgram(adc: tanh5, inputScale: 2)
            Issue.record("an input scale below the range should be refused")
        } catch { #expect(error.field == "input_scale") }
        var t = CrossbarTechnology()
        t.gMax = 0.5e-6
        let identity2 = try RampADC(function: .identity, bits: 2, inputRange: 0...3)
        do {
            _ = try RampProgram(adc: identity2, technology: t)
            Issue.record("g_max below g_min should be refused")
        } catch { #expect(error.field == "g_max") }
    }

    @Test("table activations parse, and bad tables name the line and the reason")
    func tables() throws {
        let f = try ActivationTable.parse("x,y\n0,0\n1,0.5\n\n2,2\n", file: "t.csv")
        #expect(f == .table(x: [0, 1, 2], y: [0, 0.5, 2]))
        #expect(f(1.5) == 1.25)
        do { _ = try ActivationTable.parse("x,y\n0,0\n1,-1\n", file: "bad.csv"); Issue.record("decreasing y accepted") } catch {
            #expect(error.description.hasPrefix("bad.csv: line 3: y must not decrease"))
        }
        do { _ = try ActivationTable.parse("0,0\n1,abc\n", file: "bad.csv"); Issue.record("text accepted") } catch {
            #expect(error.field == "line 2")
        }
        do { _ = try ActivationTable.parse("0,0,1\n", file: "bad.csv"); Issue.record("3 columns accepted") } catch {
            #expect(error.field == "line 1")
        }
    }
}

/// The crossbar subcircuits: built on their own, GF180MCU devices where transistors are, conductances by hand.
@Suite("CrossbarCells: the subcircuits of a crossbar column and its ramp ADC")
struct CrossbarCellsTests {
    func subcircuit(_ cards: [SpiceCard]) -> SpiceSubcircuit? {
        cards.lazy.compactMap { if case let .subcircuit(s) = $0 { return s } else { return nil } }.first
    }

    @Test("signed weights map to differential pairs: w = 0.5 -> G+ 50.5 µS, G- 1 µS; w = -1 -> G+ 1 µS, G- 100 µS")
    func weightPairs() throws {
        let t = CrossbarTechnology.gf180mcu
        let a = CrossbarCells.weightPair(0.5, t), b = CrossbarCells.weightPair(-1, t)
        #expect(abs(a.plus - 50.5e-6) < 1e-15 && abs(a.minus - 1e-6) < 1e-15)
        #expect(abs(b.plus - 1e-6) < 1e-15 && abs(b.minus - 100e-6) < 1e-15)
        let col = try #require(subcircuit(try CrossbarCells.column(name: "cb_col", weights: [0.5, -1], t)))
        #expect(col.ports == ["vcm", "rst", "out", "in_p_0", "in_n_0", "in_p_1", "in_n_1"])
        #expect(col.elements.first { $0.name == "r_0_p" }?.source == .constant(1 / 50.5e-6))
        #expect(throws: CrossbarError.self) { try CrossbarCells.column(name: "cb_col", weights: [1.5], t) }
    }

    @Test("comparator, counter and integrator use only nmos_3p3 / pmos_3p3 transistors and our own element kinds")
    func cells() throws {
        let t = CrossbarTechnology.gf180mcu
        let cmp = try #require(subcircuit(CrossbarCells.comparator(t)))
        #expect(cmp.ports == ["vdd", "inp", "inn", "nb", "out"])
        #expect(cmp.elements.count == 11 && cmp.elements.allSatisfy { $0.isMOSFET && ["nmos_3p3", "pmos_3p3"].contains($0.model ?? "") })
        let cnt = try #require(subcircuit(CrossbarCells.counter(t, bits: 5)))
        #expect(Set(cnt.elements.map { $0.name.prefix(1) }) == ["m", "g", "c"])
        // 10 pF · 2 V / (31 counts · 46.5 ns window: 100 ns hold − 50 ns delay − 2 edges + 0.5 ns) = 13.874 µA,
        // as a transconductance over vdd
        let g = try #require(cnt.elements.first { $0.name == "g1" })
        guard case let .constant(gm)? = g.source else { Issue.record("g1 has no value"); return }
        #expect(abs(gm * 3.3 - 13.8744e-6) < 1e-10, "counting current \(gm * 3.3) A")
        let int = try #require(subcircuit(CrossbarCells.integrator(t)))
        #expect(Set(int.elements.map { $0.name.prefix(1) }) == ["g", "r", "c", "m"])
        // same inputs, same text
        #expect(SpiceText.lines(CrossbarCells.comparator(t)) == SpiceText.lines(CrossbarCells.comparator(t)))
    }
}
