import Foundation

/// Decks that make ngspice run a shell command, shared by the in-process tests (NgspiceTests) and the
/// `bmru spice` tests (CLITests). Each case writes its files into a fresh folder; `marker` is the file the
/// command creates. The plain `ngspice -b` CLI runs every one of them (the positive control: the attack is
/// real), `bmru spice` and the in-process simulator run none.
public struct Attack: CustomStringConvertible, Sendable {
    public var name: String
    /// file name -> contents; "deck.sp" is the deck given to the tool. MARKER is replaced by the marker path.
    public var files: [String: String]
    /// exit status of `bmru spice deck.sp`: 0 when the command is removed and the circuit runs, 2 when refused
    public var status: Int32
    public var description: String { name }

    /// A circuit with a known operating point: 1 V across 1 kΩ.
    public static let circuit = "r1 a 0 1k\nv1 a 0 1\n.op\n"

    public static let all: [Attack] = [
        Attack(name: ".control block in the deck", files: [
            "deck.sp": "top control\n\(circuit).control\nshell touch MARKER\n.endc\n.end\n"], status: 0),
        Attack(name: ".control block in an included file", files: [
            "deck.sp": "include control\n.include sub/ctl.inc\n\(circuit).end\n",
            "sub/ctl.inc": "* included\n.control\nshell touch MARKER\n.endc\n"], status: 0),
        Attack(name: ".control block inside the section of a .lib", files: [
            "deck.sp": "lib control\n.lib lib.lib sec\n\(circuit).end\n",
            "lib.lib": "* a library\n.lib sec\n.control\nshell touch MARKER\n.endc\n.endl\n"], status: 0),
        Attack(name: "upper-case, indented .CONTROL without .endc", files: [
            "deck.sp": "indented\n\(circuit)   .CONTROL\nshell touch MARKER\n"], status: 0),
        Attack(name: "*# line in the deck", files: [
            "deck.sp": "star hash\n*# shell touch MARKER\n\(circuit).end\n"], status: 0),
        Attack(name: "*# line in an included file", files: [
            "deck.sp": "star hash include\n.inc star.inc\n\(circuit).end\n",
            "star.inc": "*# shell touch MARKER\n"], status: 0),
        Attack(name: "*ng_script deck", files: [
            "deck.sp": "*ng_script\nshell touch MARKER\n"], status: 2),
    ]

    /// Writes the case's files into a fresh folder; returns the folder and the marker path.
    public func lay() throws -> (dir: String, marker: String) {
        // ngspice lower-cases `*#` lines, so the marker's path is lower case for the positive control to hold
        let dir = NSTemporaryDirectory() + "bmru-attack-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let marker = dir + "/marker"
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "MARKER", with: marker).write(toFile: path, atomically: true, encoding: .utf8)
        }
        return (dir, marker)
    }
}
