import BMRUModel
import Foundation

// Monte Carlo mismatch for emitted decks (DeckOptions.mismatchSeed).
//
// GF180MCU's statistical mismatch lives only in the PDK's `.subckt nmos_3p3` / `.subckt pmos_3p3` wrappers:
// each instance draws `mis_vth = agauss(0, 0.7071·par_vth·1e-6 / sqrt(Leff·Weff), 1)` and passes
// `delvto = mis_vth·sw_stat_mismatch` to its device, with Leff = l − par_l, Weff = par·(w − par_w).
// The cell library instantiates the binned models directly (`m...` lines, so that `m=` multiplies fingers;
// an `x` instance of the wrapper would swallow `m` as its own unused parameter), and for `m` lines
// `sw_stat_mismatch=1` changes nothing. So a mismatch deck gives every MOSFET line of the library the same
// per-instance draw the wrapper would make, with par = the line's finger count (fingers in parallel average
// their offsets: σ/√m). `.param` lines inside a `.subckt` are evaluated per instance, so every device of
// every cell instance gets its own draw; `.option seed` fixes the sequence. The draws are added to the typed
// library (SpiceDeck), never to its text.
enum DeckMismatch {
    /// PDK constants from the `.subckt nmos_3p3` / `.subckt pmos_3p3` wrappers of sm141064.ngspice
    /// (gf180mcu 1.0.0): par_vth (V·µm), par_l and par_w (m).
    static let devices: [String: (parVth: Double, parL: Double, parW: Double)] = [
        "nmos_3p3": (0.007148, 1.5e-7, -1e-7),
        "pmos_3p3": (0.00666, 1.5e-7, -1e-7),
    ]

    /// The library with a mismatch draw (`.param sig_<d>`, `.param mis_<d>`) before every MOSFET and `delvto` on it.
    static func library(_ cards: [SpiceCard]) -> [SpiceCard] {
        cards.map { card in
            guard case var .subcircuit(s) = card else { return card }
            s.cards = s.cards.flatMap { c -> [SpiceCard] in
                guard case var .element(e) = c, e.isMOSFET, let model = e.model, let dev = devices[model],
                      let w = e.parameter("w").map(expression), let l = e.parameter("l").map(expression) else { return [c] }
                let m = e.parameter("m").map(expression) ?? "1"
                let n = NumberText.spice
                let sigma = "'0.7071*\(n(dev.parVth))*1e-6/sqrt((\(l)-(\(n(dev.parL))))*(\(m))*((\(w))-(\(n(dev.parW)))))'"
                e.parameters.append(SpiceParameter("delvto", "{mis_\(e.name)*sw_stat_mismatch}"))
                return [.parameters([SpiceParameter("sig_\(e.name)", sigma)]),
                        .parameters([SpiceParameter("mis_\(e.name)", "agauss(0,sig_\(e.name),1)")]),
                        .element(e)]
            }
            return .subcircuit(s)
        }
    }

    /// A parameter value as an expression: `{w}` -> `w`, `4u` -> `4e-06`, `2` -> `2`.
    static func expression(_ v: String) -> String {
        if v.hasPrefix("{") && v.hasSuffix("}") { return String(v.dropFirst().dropLast()) }
        let scales: [(String, Double)] = [("meg", 1e6), ("f", 1e-15), ("p", 1e-12), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3)]
        let lower = v.lowercased()
        for (suffix, scale) in scales where lower.hasSuffix(suffix) {
            if let x = Double(lower.dropLast(suffix.count)) { return NumberText.spice(x * scale) }
        }
        return v
    }
}
