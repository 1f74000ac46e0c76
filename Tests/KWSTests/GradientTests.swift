import Foundation
import Testing
import BMRUModel
@testable import KWS

/// BPTT gradients of the relaxed recursion checked against central finite differences. The steps are
/// replaced by a smooth sigmoid (test-only StepFunction.sigmoid) so the same forward/backward code is
/// differentiable and the comparison is exact up to O(h²).
@Suite struct GradientTests {
    /// random clip features, frames × inputs
    func clip(frames: Int, inputs: Int, seed: UInt64) -> [Double] {
        var r = KWSRandom(seed: seed)
        return (0..<(frames * inputs)).map { _ in r.uniform(-0.5, 2.0) }
    }

    func loss(_ net: FQNet, _ x: [Double], label: Int, frames: Int, eps: Double, step: StepFunction, power: Double = 0) -> Double {
        let tape = FQTape(net: net, frames: frames)
        var g = [Double](repeating: 0, count: net.parameterCount)
        return g.withUnsafeMutableBufferPointer {
            net.lossAndGradient(x[...], label: label, tape: tape, epsilon: eps, step: step, grad: $0.baseAddress!, scale: 1,
                                powerWeight: power).loss
        }
    }

    /// ε values × power-term weights (0: cross-entropy only; 0.3: with the dense-current term)
    @Test(arguments: [0.0, 0.4, 1.0], [0.0, 0.3])
    func bpttMatchesFiniteDifferences(eps: Double, power: Double) {
        let frames = 12, inputs = 5
        var net = FQNet(inputs: inputs, width: 3, state: 3, blocks: 2, classes: 2, seed: 7)
        // move thresholds near the candidates so every step is in its sensitive region
        for l in net.layers where l.kind == .bmru {
            for j in 0..<l.outputs { net.params[l.thLow + j] = 0.4 + 0.1 * Double(j); net.params[l.thWidth + j] = 0.3 }
            for j in 0..<l.outputs { net.params[l.level + j] = 0.8 + 0.2 * Double(j) }
        }
        let step = StepFunction.sigmoid(steepness: 4)
        for label in 0...1 {
            let x = clip(frames: frames, inputs: inputs, seed: 11 + UInt64(label))
            let tape = FQTape(net: net, frames: frames)
            var g = [Double](repeating: 0, count: net.parameterCount)
            _ = g.withUnsafeMutableBufferPointer {
                net.lossAndGradient(x[...], label: label, tape: tape, epsilon: eps, step: step, grad: $0.baseAddress!, scale: 1,
                                    powerWeight: power)
            }
            var worst = 0.0, nonzero = 0
            for i in 0..<net.parameterCount {
                let h = 1e-5
                var a = net, b = net
                a.params[i] += h; b.params[i] -= h
                let fd = (loss(a, x, label: label, frames: frames, eps: eps, step: step, power: power)
                          - loss(b, x, label: label, frames: frames, eps: eps, step: step, power: power)) / (2 * h)
                let err = abs(fd - g[i]) / max(1e-4, abs(fd) + abs(g[i]))
                worst = max(worst, err)
                if abs(fd) > 1e-6 { nonzero += 1 }
            }
            #expect(worst < 1e-4, "largest relative gradient error \(worst) (ε = \(eps), power weight \(power), label \(label))")
            // the check is meaningful only if most parameters influence the loss
            #expect(nonzero > net.parameterCount * 2 / 3, "only \(nonzero) of \(net.parameterCount) gradients are non-zero")
        }
    }

    /// The power term's current, recomputed from the ideal behavioural model's trace of the same network in
    /// file form (independent code): Σ over frames and dense layers of Σ_i max(w_ij, 0)·input_i + max(b_j, 0);
    /// and the loss with weight λ exceeds the plain loss by exactly λ × that current per frame.
    @Test func powerTermIsTheMirrorCurrent() throws {
        let frames = 15, inputs = 4
        let net = FQNet(inputs: inputs, width: 5, state: 3, blocks: 2, classes: 2, seed: 3)
        let x = clip(frames: frames, inputs: inputs, seed: 5)
        let file = net.network(name: "p", metadataJSON: nil)
        let stim = Stimulus(frames: (0..<frames).map { t in Array(x[(t * inputs)..<((t + 1) * inputs)]) }, inputs: inputs)
        let trace = IdealModel(network: file).run(stim)
        var expected = 0.0
        for (li, l) in file.layers.enumerated() where l.kind == .dense {
            for t in 0..<frames {
                let input = li == 0 ? stim.frames[t].map { max($0, 0) } : trace.layers[li - 1].outputs[t]
                for j in 0..<l.outputs {
                    expected += max(l.bias[j], 0)
                    for i in 0..<l.inputs { expected += max(l.weights[j][i], 0) * input[i] }
                }
            }
        }
        #expect(expected > 1, "the check needs a non-trivial current (\(expected))")
        let step = StepFunction.heaviside(surrogateScale: 0.5)
        let tape = FQTape(net: net, frames: frames)
        net.forward(x[...], tape: tape, epsilon: 0, step: step)
        #expect(abs(net.denseCurrent(tape: tape) - expected) < 1e-9 * expected)
        let plain = loss(net, x, label: 1, frames: frames, eps: 0, step: step)
        let lambda = 0.25
        let withPower = loss(net, x, label: 1, frames: frames, eps: 0, step: step, power: lambda)
        #expect(abs((withPower - plain) - lambda * expected / Double(frames)) < 1e-9)
    }

    /// With Heaviside steps and ε = 0 the forward pass is the exact FQ-BMRU: check a hand-worked unit.
    @Test func heavisideForwardIsHysteresis() {
        // one input -> dense 1 (identity weight 1, relu) -> bmru 1 (weight 1, θ 0.5..1.5, level 2)
        // -> dense 1 relu (weight 1) + residual pre -> bmru -> dense -> out 2 identity
        var net = FQNet(inputs: 1, width: 1, state: 1, blocks: 1, classes: 2, seed: 1)
        let pre = net.layers[0], cell = net.layers[1]
        net.params[pre.w] = 1; net.params[pre.b] = 0
        net.params[cell.w] = 1; net.params[cell.b] = 0
        net.params[cell.thLow] = 0.5; net.params[cell.thWidth] = 1.0; net.params[cell.level] = 2
        let xs: [Double] = [0, 1, 2, 1, 0.4, 1, -3, 1.6, 0.5]
        let expected: [Double] = [0, 0, 1, 1, 0, 0, 0, 1, 1]   // hysteresis by hand: set > 1.5, reset < 0.5
        let tape = FQTape(net: net, frames: xs.count)
        net.forward(xs[...], tape: tape, epsilon: 0, step: .heaviside(surrogateScale: 3))
        #expect(tape.rows(tape.s, layer: 1, width: 1) == expected)
        #expect(tape.rows(tape.act, layer: 1, width: 1) == expected.map { 2 * $0 })
    }
}
