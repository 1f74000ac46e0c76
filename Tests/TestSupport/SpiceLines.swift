/// SPICE's logical lines: a line starting with `+` continues the one before (joined with one space), as
/// ngspice reads a deck. Used by tests that look at emitted decks line by line.
public enum SpiceLines {
    public static func logical(_ text: String) -> [String] {
        var out: [String] = []
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if l.hasPrefix("+"), !out.isEmpty {
                out[out.count - 1] += " " + l.dropFirst().drop { $0 == " " }
            } else {
                out.append(String(l))
            }
        }
        return out
    }
}
