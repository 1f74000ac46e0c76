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
    /// Labels with a fixed number of decimals ("0.25", "300"); never "-0".
    public static func fixed(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        let s = String(format: "%.\(max(0, decimals))f", x)
        return s.allSatisfy { "-0.".contains($0) } && s.hasPrefix("-") ? String(s.dropFirst()) : s
    }

    /// Labels with `digits` significant digits and no trailing zeros ("0.35", "1.21", "3e-05"); never "-0".
    public static func significant(_ x: Double, digits: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        if x == 0 { return "0" }
        let magnitude = Int((log10(abs(x))).rounded(.down))
        if magnitude < -4 || magnitude >= max(digits, 6) {
            var s = String(format: "%.\(max(digits - 1, 0))e", x)
            guard let e = s.range(of: "e") else { return s }
            var mant = String(s[..<e.lowerBound])
            if mant.contains(".") {
                while mant.hasSuffix("0") { mant.removeLast() }
                if mant.hasSuffix(".") { mant.removeLast() }
            }
            let exp = Int(s[e.upperBound...]) ?? 0
            s = mant + "e" + String(exp)
            return s
        }
        var t = fixed(x, decimals: max(0, digits - 1 - magnitude))
        if t.contains(".") {
            while t.hasSuffix("0") { t.removeLast() }
            if t.hasSuffix(".") { t.removeLast() }
        }
        return t
    }

    /// A quantity with an SI prefix, `digits` significant digits and no trailing zeros: 3.452e-7 W is
    /// "345.2 nW", 1.8e-8 W "18 nW", 0 W "0 W" (prefixes f to G).
    public static func si(_ x: Double, unit: String, digits: Int = 4) -> String {
        guard x.isFinite else { return "\(x) \(unit)" }
        if x == 0 { return "0 \(unit)" }
        let prefixes = [(-15, "f"), (-12, "p"), (-9, "n"), (-6, "µ"), (-3, "m"), (0, ""), (3, "k"), (6, "M"), (9, "G")]
        var e3 = Int((log10(abs(x)) / 3).rounded(.down)) * 3
        e3 = min(max(e3, -15), 9)
        // 999.97 nW with 4 digits rounds to 1000 nW: one prefix up
        if e3 < 9, abs((x / pow(10, Double(e3)) * pow(10, Double(digits - 3))).rounded()) >= pow(10, Double(digits)) { e3 += 3 }
        let prefix = prefixes.first { $0.0 == e3 }!.1
        return significant(x / pow(10, Double(e3)), digits: digits) + " " + prefix + unit
    }
}
