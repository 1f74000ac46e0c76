import BMRUModel
import Characterization
import Foundation
import Netlist
import Ngspice
import TestSupport
import Testing

/// The crossbar ramp-ADC bench on real ngspice and the GF180MCU models: tanh and sigmoid at 5 bits within
/// 1 LSB, and a ramp programmed for the wrong function caught by the same check.
@Suite("Crossbar ramp-ADC activation in ngspice", .serialized)
struct ActivationBenchTests {
    func options() throws -> DeckOptions {
        DeckOptions(vdd: 3.3, modelsDirectory: try TestEnvironment.modelsDirectory())
    }

    func simulate(_ p: RampProgram, _ xs: [Double], reference: RampADC? = nil) throws -> ActivationReport {
        let deck = try ActivationBench.deck(program: p, inputs: xs, options: try options())
        let started = Date()
        let r = try Simulator.shared.run(SimulationRequest(deck: deck.text, timeout: 300))
        let conv = try ActivationBench.analyze(r.vectors, program: p, inputs: xs.count)
        return ActivationReport(program: p, inputs: xs, conversion: conv, reference: reference,
                                simulationSeconds: Date().timeIntervalSince(started))
    }

    @Test("the bench deck is the same bytes every time and passes the deck checks")
    func deckIsStable() throws {
        let p = try RampProgram(adc: try RampADC(function: .tanh, bits: 5, inputRange: -3...3))
        let xs = ActivationReport.grid(-3...3, points: 5)
        let a = try ActivationBench.deck(program: p, inputs: xs, options: try options()).text
        let b = try ActivationBench.deck(program: p, inputs: xs, options: try options()).text
        #expect(a == b)
        let flat = try DeckFlattener.flatten(text: a, baseDirectory: "/")
        #expect(!flat.lines.isEmpty)
        for name in ["cb_integrator", "cb_comparator", "cb_counter", "cb_ramp_bench", "cb_column_bench"] {
            #expect(a.contains(".subckt \(name) "))
        }
        #expect(throws: CrossbarError.self) { try ActivationBench.deck(program: p, inputs: [4], options: try options()) }
    }

    @Test("tanh and sigmoid at 5 bits within 1 LSB over their range", arguments: [
        ("tanh", -3.0, 3.0), ("sigmoid", -6.0, 6.0),
    ])
    func withinOneLSB(_ c: (String, Double, Double)) throws {
        let f = try #require(ActivationFunction(name: c.0))
        let p = try RampProgram(adc: try RampADC(function: f, bits: 5, inputRange: c.1...c.2))
        let report = try simulate(p, ActivationReport.grid(c.1...c.2, points: 41))
        #expect(report.pass, "\(c.0): max error \(report.maxErrorLSB) LSB")
        #expect(report.maxErrorLSB <= 1)
        // both ends of the range: the lowest and the highest code
        #expect(report.points.first?.simulatedCode == 0)
        #expect(report.points.last?.simulatedCode == 31)
        #expect(report.simulationSeconds < 60)
    }

    @Test("positive control: a ramp programmed for identity, judged against tanh, is not within 1 LSB")
    func wrongRampFails() throws {
        let identity = try RampProgram(adc: try RampADC(function: .identity, bits: 5, inputRange: -3...3))
        let tanh = try RampADC(function: .tanh, bits: 5, inputRange: -3...3)
        let report = try simulate(identity, ActivationReport.grid(-3...3, points: 17), reference: tanh)
        #expect(!report.pass)
        #expect(report.maxErrorLSB > 3, "max error \(report.maxErrorLSB) LSB")
        // the circuit did what it was programmed to: its codes follow the identity ramp
        #expect(report.points.allSatisfy { abs($0.simulatedCode - $0.programmedCode) <= 1 })
    }
}
