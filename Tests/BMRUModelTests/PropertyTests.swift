// Properties of the ideal model over random networks from a small generator on SeededGenerator.
// Values are dyadic (multiples of 1/8 for weights, 1/16 for inputs) and small, so every sum is exact in
// Double regardless of order: outputs can be compared for exact equality.

import Testing
@testable import BMRUModel

struct NetworkGenerator {
    var g: SeededGenerator
    init(seed: UInt64) { g = SeededGenerator(seed: seed) }

    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + g.nextInt(below: r.count) }
    mutating func dyadic(_ r: ClosedRange<Int>, _ denominator: Double) -> Double { Double(int(r)) / denominator }

    /// A threshold pair: θ values are odd multiples of 1/64 (never equal to a candidate, which is a
    /// multiple of 1/128 only by rare chance - the properties below do not rely on it either way).
    mutating func thresholds() -> (Double, Double) {
        let a = dyadic(0...48, 32), b = dyadic(0...48, 32)
        return (min(a, b), max(a, b))
    }

    mutating func layer(_ name: String, kind: LayerKind, inputs: Int, outputs: Int, activation: Activation = .relu,
                        residual: String? = nil) -> Layer {
        let w = (0..<outputs).map { _ in (0..<inputs).map { _ in dyadic(-12...12, 8) } }
        let b = (0..<outputs).map { _ in dyadic(-8...8, 8) }
        if kind == .dense { return Layer(name: name, kind: .dense, weights: w, bias: b, activation: activation, residual: residual) }
        var lo = [Double](), hi = [Double]()
        for _ in 0..<outputs { let (a, c) = thresholds(); lo.append(a); hi.append(c) }
        return Layer(name: name, kind: .bmru, weights: w, bias: b, thetaLow: lo, thetaHigh: hi,
                     level: (0..<outputs).map { _ in dyadic(0...16, 8) }, initialState: (0..<outputs).map { _ in int(0...1) })
    }

    /// 1 to 5 layers mixing dense and bmru; optional residuals; optional identity last layer.
    mutating func network(allowResiduals: Bool = true) -> Network {
        let inputs = int(1...5)
        var layers = [Layer]()
        var width = inputs
        let count = int(1...5)
        for k in 0..<count {
            let last = k == count - 1
            let kind: LayerKind = int(0...1) == 0 ? .dense : .bmru
            let outputs = int(1...5)
            var residual: String?
            if allowResiduals, kind == .dense, let j = layers.indices.filter({ layers[$0].outputs == outputs }).first, int(0...1) == 1 {
                residual = layers[j].name
            }
            let act: Activation = last && kind == .dense && int(0...1) == 1 ? .identity : .relu
            layers.append(layer("l\(k)", kind: kind, inputs: width, outputs: outputs, activation: act, residual: residual))
            width = outputs
        }
        return Network(name: "gen", unitCurrent: 1e-9, framePeriod: 0.01, inputs: inputs, layers: layers)
    }

    /// inputs in [-1, 2] (negative values exercise clipping), multiples of 1/16
    mutating func stimulus(inputs: Int, frames: Int) -> Stimulus {
        Stimulus(frames: (0..<frames).map { _ in (0..<inputs).map { _ in dyadic(-16...32, 16) } }, inputs: inputs)
    }
}

/// A second, deliberately plain implementation (frame by frame, per unit) of the definitions.
func referenceRun(_ n: Network, _ s: Stimulus) -> [[[Double]]] {
    var state = n.layers.map { $0.initialState ?? Array(repeating: 0, count: $0.outputs) }
    var result = n.layers.map { _ in [[Double]]() }
    for frame in s.frames {
        var x = frame.map { $0 > 0 ? $0 : 0 }
        var outs = [String: [Double]]()
        for (k, l) in n.layers.enumerated() {
            var y = [Double]()
            for o in 0..<l.outputs {
                var z = l.bias[o]
                for i in 0..<l.inputs { z += l.weights[o][i] * x[i] }
                if l.kind == .bmru {
                    let c = max(z, 0)
                    if c > l.thetaHigh![o] { state[k][o] = 1 } else if c < l.thetaLow![o] { state[k][o] = 0 }
                    y.append(Double(state[k][o]) * l.level![o])
                } else {
                    var v = l.activation == .relu ? max(z, 0) : z
                    if let r = l.residual { v += outs[r]![o] }
                    y.append(v)
                }
            }
            outs[l.name] = y
            result[k].append(y)
            x = y
        }
    }
    return result
}

@Suite struct PropertyTests {
    @Test func generatedNetworksAreValid() {
        var gen = NetworkGenerator(seed: 7)
        for _ in 0..<100 { #expect(NetworkFile.validate(gen.network(), file: "gen").isEmpty) }
    }

    @Test func agreesWithAPlainReferenceImplementation() {
        var gen = NetworkGenerator(seed: 11)
        for _ in 0..<150 {
            let n = gen.network()
            let s = gen.stimulus(inputs: n.inputs, frames: gen.int(1...30))
            let trace = IdealModel(network: n).run(s)
            let ref = referenceRun(n, s)
            for k in n.layers.indices { #expect(trace.layers[k].outputs == ref[k]) }
        }
    }

    /// Wide layers (SIMD blocks of 16 plus a scalar tail) and enough work to be split over threads.
    @Test func wideLayersAgreeWithTheReference() {
        var gen = NetworkGenerator(seed: 61)
        let pre = gen.layer("pre", kind: .dense, inputs: 40, outputs: 37)
        let cell = gen.layer("cell", kind: .bmru, inputs: 37, outputs: 70)
        let post = gen.layer("post", kind: .dense, inputs: 70, outputs: 37, residual: "pre")
        let out = gen.layer("out", kind: .dense, inputs: 37, outputs: 3, activation: .identity)
        let n = Network(name: "wide", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 40, layers: [pre, cell, post, out])
        #expect(NetworkFile.validate(n, file: "wide").isEmpty)
        let s = gen.stimulus(inputs: 40, frames: 1500)
        let ref = referenceRun(n, s)
        // every code path of the inner loops available on this CPU gives exactly the reference results
        var paths = 0
        for path in ["generic", "avx2", "avx512"] where IdealModel.selectKernel(path) {
            defer { IdealModel.selectKernel("best") }
            #expect(IdealModel.kernelPath == path)
            let trace = IdealModel(network: n).run(s)
            for k in n.layers.indices { #expect(trace.layers[k].outputs == ref[k], "path \(path)") }
            paths += 1
        }
        #expect(paths >= 1)
        #expect(!IdealModel.selectKernel("sse9"))
        let trace = IdealModel(network: n).run(s)
        // the states are not all equal (the case is not trivial)
        let states = trace.layers[1].states!.flatMap { $0 }
        #expect(states.contains(0) && states.contains(1))
    }

    @Test func equalThresholdsMakeAPlainComparator() {
        var gen = NetworkGenerator(seed: 21)
        for _ in 0..<100 {
            let m = gen.int(1...6), inputs = gen.int(1...4)
            var cell = gen.layer("cell", kind: .bmru, inputs: inputs, outputs: m)
            // θ an odd multiple of 1/256: a candidate (multiple of 1/128) can never equal it
            cell.thetaLow = (0..<m).map { _ in Double(2 * gen.int(0...100) + 1) / 256 }
            cell.thetaHigh = cell.thetaLow
            let n = Network(name: "c", unitCurrent: 1e-9, framePeriod: 0.01, inputs: inputs, layers: [cell])
            let t = IdealModel(network: n).run(gen.stimulus(inputs: inputs, frames: 20)).layers[0]
            for (f, c) in t.candidates!.enumerated() {
                for u in 0..<m { #expect(t.states![f][u] == (c[u] > cell.thetaHigh![u] ? 1 : 0)) }
            }
        }
    }

    @Test func stateChangesOnlyWhenTheCandidateLeavesTheBand() {
        var gen = NetworkGenerator(seed: 31)
        for _ in 0..<100 {
            let n = gen.network()
            let t = IdealModel(network: n).run(gen.stimulus(inputs: n.inputs, frames: 25))
            for (k, l) in n.layers.enumerated() where l.kind == .bmru {
                let tr = t.layers[k]
                for f in 0..<t.frames {
                    for u in 0..<l.outputs {
                        let before = f == 0 ? l.initialState![u] : tr.states![f - 1][u]
                        let now = tr.states![f][u], c = tr.candidates![f][u]
                        if now != before {
                            #expect(now == 1 ? c > l.thetaHigh![u] : c < l.thetaLow![u])
                        } else {
                            // no change: the candidate was in the band, or already on the side of the state
                            #expect(now == 1 ? c >= l.thetaLow![u] : c <= l.thetaHigh![u])
                        }
                        #expect(tr.outputs[f][u] == Double(now) * l.level![u])
                        #expect(c >= 0)
                    }
                }
            }
        }
    }

    @Test func constantInputsGiveConstantStates() {
        var gen = NetworkGenerator(seed: 41)
        for _ in 0..<100 {
            let n = gen.network()
            let frame = gen.stimulus(inputs: n.inputs, frames: 1).frames[0]
            let t = IdealModel(network: n).run(Stimulus(frames: Array(repeating: frame, count: 12), inputs: n.inputs))
            for l in t.layers {
                for f in 1..<t.frames {
                    #expect(l.outputs[f] == l.outputs[0])
                    if let s = l.states { #expect(s[f] == s[0]) }
                }
            }
        }
    }

    @Test func permutingUnitsPermutesOutputs() {
        var gen = NetworkGenerator(seed: 51)
        var checked = 0
        for _ in 0..<150 {
            let n = gen.network(allowResiduals: false)
            let k = gen.int(0...(n.layers.count - 1))
            let m = n.layers[k].outputs
            // a random permutation (Fisher-Yates on the seeded generator)
            var p = Array(0..<m)
            for i in stride(from: m - 1, to: 0, by: -1) { p.swapAt(i, gen.int(0...i)) }
            var q = n
            var l = q.layers[k]
            l.weights = p.map { n.layers[k].weights[$0] }
            l.bias = p.map { n.layers[k].bias[$0] }
            if l.kind == .bmru {
                l.thetaLow = p.map { n.layers[k].thetaLow![$0] }
                l.thetaHigh = p.map { n.layers[k].thetaHigh![$0] }
                l.level = p.map { n.layers[k].level![$0] }
                l.initialState = p.map { n.layers[k].initialState![$0] }
            }
            q.layers[k] = l
            if k + 1 < n.layers.count {
                q.layers[k + 1].weights = n.layers[k + 1].weights.map { row in p.map { row[$0] } }
            }
            let s = gen.stimulus(inputs: n.inputs, frames: 15)
            let a = IdealModel(network: n).run(s), b = IdealModel(network: q).run(s)
            for f in 0..<s.count {
                #expect(b.layers[k].outputs[f] == p.map { a.layers[k].outputs[f][$0] })
                for j in (k + 1)..<n.layers.count { #expect(b.layers[j].outputs[f] == a.layers[j].outputs[f]) }
            }
            checked += 1
        }
        #expect(checked == 150)
    }
}
