import Foundation

/// Every number the project writes as text, locale-independent and deterministic: one place for each form.
public enum NumberText {
    /// JSON: the shortest text that reads back as the same Double (Swift's description); ±0 is "0.0".
    public static func json(_ d: Double) -> String {
        if d == 0 { return "0.0" }
        return d.description
    }

    /// Messages and labels: the shortest round-tripping text, without a trailing ".0" ("27", "1.8", "0.05").
    public static func short(_ x: Double) -> String {
        if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// SPICE cards: 12 significant digits ("1e-10", "0.01001", "2.5e-10"), so that products like 0.1 × 1e-9
    /// do not print as 1.0000000000000001e-10; exponents unpadded.
    public static func spice(_ x: Double) -> String {
        if x == 0 { return "0" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        var s = String(format: "%.12g", x).replacingOccurrences(of: ",", with: ".")
        // "1e-10" rather than "1e-010" on platforms that pad exponents
        if let e = s.range(of: "e") {
            let mant = String(s[..<e.lowerBound])
            var exp = String(s[e.upperBound...])
            let sign = exp.hasPrefix("-") ? "-" : ""
            exp = String(exp.drop { $0 == "-" || $0 == "+" || $0 == "0" })
            s = mant + "e" + sign + (exp.isEmpty ? "0" : exp)
        }
        return s
    }

    /// A SPICE length in µm on the 1 nm grid, e.g. "4u", "1.235u".
    public static func micrometres(_ x: Double) -> String {
        let milli = Int(saturating: (x * 1000).rounded())  // widths are bounded upstream; never traps
        let whole = milli / 1000, frac = milli % 1000
        if frac == 0 { return "\(whole)u" }
        var f = String(frac)
        while f.count < 3 { f = "0" + f }
        while f.hasSuffix("0") { f.removeLast() }
        return "\(whole).\(f)u"
    }
}
