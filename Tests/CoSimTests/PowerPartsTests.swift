import BMRUModel
import CoSim
import Foundation
import TestSupport
import Testing

/// The power split by function, against hand calculations on the two-unit network (nominal sizes: every bias
/// source carries exactly its trained value).
@Suite("Power by function (real ngspice)", .serialized)
struct PowerPartsTests {
    @Test("references, bias generator and level copies match the hand calculation; the parts add up to the total")
    func twoUnitParts() throws {
        let net = twoUnitNetwork()
        let outcome = try CoSimulation.run(network: net, stimulus: Stimulus(frames: twoUnitFrames, inputs: 2),
                                           options: CoSimOptions(modelsDirectory: try TestEnvironment.modelsDirectory()))
        let r = outcome.report
        let parts = try #require(r.power_parts)
        func part(_ layer: String?, _ name: String) throws -> Double {
            try #require(parts.first { $0.layer == layer && $0.part == name }, "\(layer ?? "shared") \(name) missing").watts
        }
        let vdd = 1.8, iu = net.unitCurrent
        let cell = net.layers[0]
        // each cell's three references are fed from the layer's reference supply at 1/4 of their currents:
        // θ_high (sunk through its diode), the width θ_high − θ_low (sourced), the level (sunk through its diode)
        var refCurrent = 0.0
        for j in 0..<2 { refCurrent += (2 * cell.thetaHigh![j] - cell.thetaLow![j] + cell.level![j]) * iu / 4 }
        let refs = try part("cell", "references")
        #expect(abs(refs - vdd * refCurrent) < 0.002 * vdd * refCurrent, "references \(refs) W vs \(vdd * refCurrent) W")
        // the bias generator: I into the NMOS cascode stack, I/4 through the starve diode, I through the PMOS stack
        let gen = try part(nil, "bias_generator")
        #expect(abs(gen - vdd * 2.25 * iu) < 0.01 * vdd * 2.25 * iu, "bias generator \(gen) W")
        // level copies: level × I while the state is 1 (hand-worked states, frame-averaged), within the mirrors' 10 %
        var level = 0.0
        for j in 0..<2 {
            let on = Double(twoUnitStates.filter { $0[j] == 1 }.count) / Double(twoUnitStates.count)
            level += vdd * cell.level![j] * iu * on
        }
        let copies = try part("cell", "level_copies")
        #expect(abs(copies - level) < 0.1 * level, "level copies \(copies) W vs \(level) W")
        #expect(try part("cell", "comparators") > 0)
        #expect(try part("cell", "candidate_matrix") > 0)
        // the identity read-out has mirrors and no references (its biases are ideal sinks)
        #expect(try part("out", "mirrors") > 0)
        #expect(!parts.contains { $0.layer == "out" && $0.part == "references" })
        // the parts add up to the total, and per layer to power_w (bias: generator plus references)
        let total = try #require(r.power_w["total"])
        #expect(abs(parts.map(\.watts).reduce(0, +) - total) < 1e-9 * total)
        let cellParts = try part("cell", "candidate_matrix") + part("cell", "comparators") + copies
        #expect(abs(cellParts - (r.power_w["cell"] ?? 0)) < 1e-9 * total)
        #expect(abs(gen + refs - (r.power_w["bias"] ?? 0)) < 1e-9 * total)
        // and the report says so in words
        #expect(ReportWriter.markdown(r).contains("| cell | level copies |"))
    }
}
