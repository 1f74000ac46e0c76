// The optimiser side of a training step: the clipped gradient, the AdamW update, the moving average of the
// parameters, and the projection into the range a circuit realises (and the exported form with small weights 0).
import Foundation
import BMRUModel

extension KWSTrainer {
    /// Scales the gradient to norm `cfg.gradientClip` when it is longer.
    static func clipGradient(_ g: inout [Double], _ cfg: TrainerConfig) {
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > cfg.gradientClip { let f = cfg.gradientClip / norm; for i in 0..<g.count { g[i] *= f } }
    }

    /// The AdamW update of step `s` (bias-corrected moments kept in `st`; the weight decay acts on the
    /// parameters `decayMask` marks), then the projection into the hardware range.
    static func adamW(_ net: inout FQNet, _ st: inout TrainState, gradient g: [Double], step s: Int, decayMask: [Double],
                      _ cfg: TrainerConfig) {
        let lr = cfg.learningRate(at: s)
        let b1 = 0.9, b2 = 0.999
        let c1 = 1 - pow(b1, Double(s + 1)), c2 = 1 - pow(b2, Double(s + 1))
        for i in 0..<g.count {
            st.m[i] = b1 * st.m[i] + (1 - b1) * g[i]
            st.v[i] = b2 * st.v[i] + (1 - b2) * g[i] * g[i]
            net.params[i] -= lr * ((st.m[i] / c1) / ((st.v[i] / c2).squareRoot() + 1e-8) + cfg.weightDecay * decayMask[i] * net.params[i])
        }
        project(&net, cfg)
    }

    /// The exponential moving average of the parameters after step `s` (when `cfg.emaDecay` > 0).
    static func updateAverage(_ st: inout TrainState, _ net: FQNet, step s: Int, _ cfg: TrainerConfig) {
        guard cfg.emaDecay > 0 else { return }
        // the average restarts when ε reaches 0, so it only mixes networks of the exact form
        let d = cfg.epsilon(at: s) > 0 ? 0 : cfg.emaDecay
        for i in 0..<net.params.count { st.ema[i] = d * st.ema[i] + (1 - d) * net.params[i] }
    }

    /// Projects parameters into the hardware range (during training: no snapping to zero).
    static func project(_ net: inout FQNet, _ cfg: TrainerConfig) {
        for i in net.weightIndices { net.params[i] = min(cfg.weightMax, max(-cfg.weightMax, net.params[i])) }
        for l in net.layers where l.kind == .bmru {
            for j in 0..<l.outputs {
                let lo = min(cfg.thetaMax - cfg.hysteresisMin, max(cfg.thetaMin, net.params[l.thLow + j]))
                net.params[l.thLow + j] = lo
                net.params[l.thWidth + j] = min(cfg.thetaMax - lo, max(cfg.hysteresisMin, net.params[l.thWidth + j]))
                net.params[l.level + j] = min(cfg.thetaMax, max(cfg.thetaMin, net.params[l.level + j]))
            }
        }
    }

    /// The exported form: projected, and weights/biases with |w| < weightMin set to exactly 0.
    public static func hardwareNet(_ net: FQNet, _ cfg: TrainerConfig) -> FQNet {
        var n = net
        project(&n, cfg)
        for i in n.weightIndices where abs(n.params[i]) < cfg.weightMin { n.params[i] = 0 }
        return n
    }

}
