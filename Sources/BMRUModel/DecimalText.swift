// The one reader of plain decimal number text (CSV cells) and the one saturating Double -> Int conversion.

/// Decimal number text: optional sign, digits, optional fraction, optional exponent (`-1.5e-3`, `+2`, `.5`, `3.`).
/// Nothing else: no hexadecimal (`0x10`, which `Double("0x10")` reads as 16), no `inf`/`nan`/`infinity`,
/// no spaces, no `_` separators.
public enum DecimalText {
    /// The value of `text` when it is a decimal number (it may still overflow to ±infinity: check `isFinite`).
    public static func parse<S: StringProtocol>(_ text: S) -> Double? {
        guard isDecimal(text) else { return nil }
        return Double(String(text))
    }

    /// Whether `text` matches `[+-]?(d+(\.d*)?|\.d+)([eE][+-]?d+)?`.
    public static func isDecimal<S: StringProtocol>(_ text: S) -> Bool {
        let u = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let s = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            return i - s
        }
        if i < u.count, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
        var mantissa = digits()
        if i < u.count, u[i] == 0x2E { i += 1; mantissa += digits() }
        guard mantissa > 0 else { return false }
        if i < u.count, u[i] == 0x65 || u[i] == 0x45 {
            i += 1
            if i < u.count, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == u.count
    }
}

extension Int {
    /// `x` rounded toward zero and clamped to `Int.min ... Int.max` (NaN gives 0): never traps, unlike `Int(x)`.
    /// For counts derived from input values, which are checked against their limits separately.
    public init(saturating x: Double) {
        if x.isNaN { self = 0 }
        else if x >= 9.2e18 { self = Int.max }
        else if x <= -9.2e18 { self = Int.min }
        else { self = Int(x) }
    }
}
