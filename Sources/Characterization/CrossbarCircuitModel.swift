// The circuit-aware model of a crossbar RNN: the network run with what its circuit realises instead of the
// nominal numbers. The weights are (G⁺ − G⁻)/(G_unit·s) of the programmed devices (quantised to the network's
// conductance levels, with the programming error of `programming`), the ramp thresholds those of the programmed
// ramp column (its step conductances, quantised too), and read noise adds N(0, σ²) weight units to every
// pre-activation of every frame. Built from `CrossbarDeck.layerPlans`, the numbers the deck is written from.

import BMRUModel
import Foundation
import Netlist

public enum CrossbarCircuitModel {
    public static func realisation(network net: CrossbarNetwork, programming: CrossbarProgramming = CrossbarProgramming(),
                                   readNoiseSigma: Double = 0, noiseSeed: UInt64 = 1,
                                   base: CrossbarTechnology = .gf180mcu) throws(CrossbarError) -> CrossbarRealisation {
        let (_, plans) = try CrossbarDeck.layerPlans(network: net, programming: programming, base: base)
        let layers = zip(net.layers, plans).map { l, p in
            let w = p.mapping.realisedWeights(inputs: l.inputs, units: l.units, recurrent: l.kind == .rnn)
            return CrossbarLayerRealisation(weights: w.weights, recurrentWeights: w.recurrent, bias: w.bias,
                                            thresholds: Array(repeating: p.program.realisedThresholds, count: l.units),
                                            readNoiseSigma: readNoiseSigma)
        }
        return CrossbarRealisation(layers: layers, seed: noiseSeed)
    }

    /// The quantized model under that realisation.
    public static func run(_ net: CrossbarNetwork, _ stimulus: Stimulus, programming: CrossbarProgramming = CrossbarProgramming(),
                           readNoiseSigma: Double = 0, noiseSeed: UInt64 = 1) throws(CrossbarError) -> CrossbarTrace {
        let r = try realisation(network: net, programming: programming, readNoiseSigma: readNoiseSigma, noiseSeed: noiseSeed)
        return CrossbarModel(network: net, mode: .quantized).run(stimulus, realisation: r)
    }
}
