// Noise in the circuit itself: explicit noise currents injected at every bmru cell's boundary, drawn in Swift
// and written into the deck as piecewise-linear current sources.
//
// Why not ngspice's `trnoise`: it is the same waveform (Gaussian draws every NT seconds, linear in between),
// but ngspice-39 cannot seed it — two runs of one deck give different samples whatever `setseed`, `rndseed`
// or `.option seed` say (measured), and a noise study must be reproducible. So the draws are ours:
//
//   draw k of source q (k ≥ 1, at t = k·NT):  σ · I_unit · z,  z = InputNoise.standardNormal(seed', k, q)
//   seed' = InputNoise.mix(seed ^ 0x6E6F_6973_6521)  (device draws never coincide with input-noise draws)
//   draw 0 (t = 0) is 0: the operating point (with the `.ic` states) is noiseless.
//   NT = frame period / draws per frame.
//
// Sites (q = 2·c + site, c the cell's index in network order over all bmru layers):
//   candidate (site 0): `inz_<L>_<j>` from 0 into the cell's summing node, before the candidate probe
//     `vc_<L>_<j>`: the probe measures the noisy candidate, and the candidate diode clips it at 0 like the
//     model's max(·, 0). This is the analog error arriving at the cell's input.
//   state (site 1): `isz_<L>_<j>` from 0 into the state node `s_<L>_<j>`: noise inside the latch that holds
//     the state (a held state survives it unless it is large enough to flip the latch).
// σ is the RMS of each draw in model units (multiples of the unit current), the same at every site.

import BMRUModel
import Foundation

/// Noise currents at the bmru cells' input and state nodes.
public struct DeviceNoise: Codable, Equatable, Sendable {
    public enum Site: String, Codable, Sendable, CaseIterable {
        case candidate, state
    }
    /// RMS of each draw, model units (≥ 0)
    public var sigma: Double
    public var seed: UInt64
    /// draws per frame period (NT = frame period / drawsPerFrame)
    public var drawsPerFrame: Int
    public var sites: [Site]

    public init(sigma: Double, seed: UInt64, drawsPerFrame: Int = 10, sites: [Site] = Site.allCases) {
        self.sigma = sigma; self.seed = seed; self.drawsPerFrame = drawsPerFrame; self.sites = sites
    }

    public static let seedSalt: UInt64 = 0x6E6F_6973_6521

    /// The standard normal draw `k` (k ≥ 1) of source `q`.
    public func standardNormal(draw k: Int, source q: Int) -> Double {
        InputNoise.standardNormal(seed: InputNoise.mix(seed ^ Self.seedSalt), frame: k, input: q)
    }

    /// The injected current of source `q` at time `t`, model units (the PWL the deck carries, evaluated).
    public func value(source q: Int, time t: Double, framePeriod: Double) -> Double {
        let nt = framePeriod / Double(drawsPerFrame)
        let x = t / nt
        let k = Int(x.rounded(.down))
        func d(_ i: Int) -> Double { i <= 0 ? 0 : sigma * standardNormal(draw: i, source: q) }
        let f = x - Double(k)
        return f < 1e-12 ? d(k) : d(k) * (1 - f) + d(k + 1) * f
    }

    /// Source index of (cell c in network order, site).
    public static func source(cell c: Int, site: Site) -> Int { 2 * c + (site == .candidate ? 0 : 1) }

    func validate() throws {
        guard sigma.isFinite, sigma >= 0, sigma <= 10 else {
            throw NetlistError(kind: .invalidOption, field: "options.deviceNoise.sigma", reason: "must be in [0, 10] units, got \(sigma)")
        }
        guard (1...1000).contains(drawsPerFrame) else {
            throw NetlistError(kind: .invalidOption, field: "options.deviceNoise.drawsPerFrame", reason: "must be in 1...1000, got \(drawsPerFrame)")
        }
        guard !sites.isEmpty else {
            throw NetlistError(kind: .invalidOption, field: "options.deviceNoise.sites", reason: "names no site (candidate, state)")
        }
    }

    /// Adds the noise sources to `deck` (before its analysis card). `stop` is the transient's stop time.
    func apply(to deck: inout SpiceDeck, network: Network, stop: Double) throws {
        try validate()
        let T = network.framePeriod, nt = T / Double(drawsPerFrame)
        let draws = Int((stop / nt).rounded(.up))
        guard draws <= 2_000_000 else {
            throw NetlistError(kind: .invalidOption, field: "options.deviceNoise.drawsPerFrame",
                               reason: "\(draws) draws per source is too many (at most 2000000)")
        }
        let iu = network.unitCurrent
        let byName = Dictionary(deck.allElements.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var cards: [SpiceCard] = [
            .comment("device noise: sigma \(NumberText.spice(sigma)) units (\(NumberText.spice(sigma * iu)) A) per draw, "
                     + "one draw every \(NumberText.spice(nt)) s, seed \(seed), sites \(sites.map(\.rawValue).joined(separator: ", "))"),
        ]
        var c = 0
        for l in network.layers where l.kind == .bmru {
            let L = l.name.lowercased()
            for j in 0..<l.outputs {
                defer { c += 1 }
                for site in Site.allCases where sites.contains(site) {
                    let q = Self.source(cell: c, site: site)
                    let node: String
                    switch site {
                    case .candidate:
                        guard let probe = byName["vc_\(L)_\(j)"], let n = probe.nodes.first else {
                            throw NetlistError(kind: .invalidNetwork, field: "layers.\(l.name)", reason: "has no candidate probe vc_\(L)_\(j) to inject noise at")
                        }
                        node = n
                    case .state:
                        node = "s_\(L)_\(j)"
                    }
                    var points = [PWLPoint(0, 0)]
                    points.reserveCapacity(draws + 1)
                    for k in 1...max(draws, 1) {
                        points.append(PWLPoint(Double(k) * nt, sigma * iu * standardNormal(draw: k, source: q)))
                    }
                    let name = (site == .candidate ? "inz_" : "isz_") + "\(L)_\(j)"
                    cards.append(.element(.source(name, ["0", node], .piecewiseLinear(dc: 0, points: points))))
                }
            }
        }
        for card in cards { try deck.insertBeforeAnalysis(card) }
    }
}
