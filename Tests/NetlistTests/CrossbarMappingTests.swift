import BMRUModel
import Foundation
import Netlist
import TestSupport
import Testing

// Weights → conductance pairs on examples/crossbar-tiny.json, by hand: rows x0, x1 at full scale 2 (input range
// ±2), h0...h2 at tanh(3) (the layer's output range), bias at 1; the largest |w·s| is 1.5·2 = 3, as is the
// ADC range's end, so G_unit = (1e-4 − 1e-6) / 3 S per weight unit.
@Suite struct CrossbarMappingTests {
    static func network() throws -> CrossbarNetwork {
        try CrossbarNetworkFile.load(path: TestEnvironment.packageRoot.appendingPathComponent("examples/crossbar-tiny.json").path)
    }

    @Test func pairsByHand() throws {
        let net = try Self.network()
        let m = CrossbarMapper.map(net)[0]
        let unit = (1e-4 - 1e-6) / 3
        #expect(abs(m.unitConductance - unit) < 1e-18)
        #expect(m.rows.map(\.label) == ["x0", "x1", "h0", "h1", "h2", "b"])
        // w[0][0] = 1.2 on a row of full scale 2: G⁺ = g_min + G_unit·2.4, G⁻ = g_min
        #expect(abs(m.positive[0][0] - (1e-6 + unit * 2.4)) < 1e-18 && m.negative[0][0] == 1e-6)
        // w[0][1] = −0.7: the negative device carries it
        #expect(abs(m.negative[0][1] - (1e-6 + unit * 1.4)) < 1e-18 && m.positive[0][1] == 1e-6)
        // u[1][2] = −0.6 at full scale tanh(3)
        #expect(abs(m.negative[1][4] - (1e-6 + unit * 0.6 * tanh(3.0))) < 1e-18)
        // the largest device is exactly g_max
        #expect(abs(m.positive[1][1] - 1e-4) < 1e-18)
        let r = m.realisedWeights(inputs: 2, units: 3, recurrent: true)
        for i in 0..<3 {
            for j in 0..<2 { #expect(abs(r.weights[i][j] - net.layers[0].weights[i][j]) < 1e-12) }
            for j in 0..<3 { #expect(abs(r.recurrent![i][j] - net.layers[0].recurrentWeights![i][j]) < 1e-12) }
            #expect(abs(r.bias[i] - net.layers[0].bias[i]) < 1e-12)
        }
        // the readout reads tanh outputs: its rows have full scale tanh(3); largest |w·s| = 1.2·tanh(3) < 3, so its
        // ADC range ±3 sets G_unit: (1e-4 − 1e-6) / 3
        let out = CrossbarMapper.map(net)[1]
        #expect(abs(out.unitConductance - (1e-4 - 1e-6) / 3) < 1e-15)
        #expect(abs(out.positive[0][0] - (1e-6 + out.unitConductance * 1.0 * tanh(3.0))) < 1e-18)
    }

    @Test func twoLevelsSnapToTheEnds() throws {
        var net = try Self.network()
        net.conductanceLevels = 2
        let m = CrossbarMapper.map(net)[0]
        #expect(m.positive.joined().allSatisfy { $0 == 1e-6 || $0 == 1e-4 })
        // 1.2·2 = 2.4 of 3 is nearer g_max: the realised weight is (g_max − g_min)/(G_unit·2) = 1.5; 0.8·2 = 1.6 of 3: also g_max
        let r = m.realisedWeights(inputs: 2, units: 3, recurrent: true)
        #expect(abs(r.weights[0][0] - 1.5) < 1e-12 && abs(r.weights[2][0] - 1.5) < 1e-12)
        // bias 0.1 (of 3) snaps to g_min: 0
        #expect(r.bias[0] == 0)
    }

    @Test func programmingErrorIsSeededPerDevice() throws {
        let net = try Self.network()
        let a = CrossbarMapper.map(net, programming: .init(relativeSigma: 0.05, seed: 7))
        let b = CrossbarMapper.map(net, programming: .init(relativeSigma: 0.05, seed: 7))
        let c = CrossbarMapper.map(net, programming: .init(relativeSigma: 0.05, seed: 8))
        let nominal = CrossbarMapper.map(net)
        #expect(a == b && a != c)
        // relative deviations over all devices: mean near 0 and RMS near σ (about 80 devices: loose bounds)
        func devices(_ m: [CrossbarLayerMapping]) -> [Double] {
            var out: [Double] = []
            for l in m { for row in l.positive { out += row }; for row in l.negative { out += row } }
            return out
        }
        let dev: [Double] = zip(devices(a), devices(nominal)).map { $0 / $1 - 1 }
        let sq: Double = dev.map { $0 * $0 }.reduce(0, +)
        let rms = (sq / Double(dev.count)).squareRoot()
        #expect(rms > 0.03 && rms < 0.07, "rms \(rms) over \(dev.count) devices")
    }
}
