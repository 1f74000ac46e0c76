import BMRUModel
import Foundation
import Netlist
import Ngspice
import TestSupport
import Testing

/// The typed deck, its one writer, and the layered structure the emitter builds with it.
@Suite("Typed deck and writer")
struct SpiceDeckTests {
    /// The logical lines of a deck: `+` continuations joined back with one space.
    static func logicalLines(_ text: String) -> [String] { SpiceLines.logical(text) }

    @Test("a long element line is continued on + lines of at most 100 characters that join back to the same tokens")
    func wrapping() {
        let nodes = (0..<40).map { "node_number_\($0)" }
        let deck = SpiceDeck(cards: [
            .comment(String(repeating: "c", count: 150)),
            .element(.instance("xbig", nodes, "some_subckt", [SpiceParameter("w", "4u")])),
            .parameters([SpiceParameter("long", "'" + String(repeating: "1", count: 120) + "'")]),
        ])
        let lines = deck.text.split(separator: "\n").map(String.init)
        // the comment stays one line however long; the unbreakable parameter stays whole
        #expect(lines[0] == "* " + String(repeating: "c", count: 150))
        #expect(lines.last == ".param long='" + String(repeating: "1", count: 120) + "'")
        let element = lines.dropFirst().dropLast()
        #expect(element.count > 1)
        #expect(element.first!.hasPrefix("xbig node_number_0 "))
        for l in element {
            #expect(l.utf8.count <= 100, "line of \(l.utf8.count) characters")
        }
        for l in element.dropFirst() { #expect(l.hasPrefix("+ ")) }
        let joined = Self.logicalLines(deck.text)[1]
        #expect(joined == "xbig " + nodes.joined(separator: " ") + " some_subckt w=4u")
    }

    @Test("typed edits: a missing element is an error, a .save lands right before the analysis")
    func edits() throws {
        var deck = SpiceDeck(cards: [
            .element(.source("iin_0", ["0", "in_0"], .dc(0))),
            .analysis(.operatingPoint),
            .end,
        ])
        #expect(throws: NetlistError.self) { try deck.replaceElement("iin_9", with: []) }
        try deck.replaceElement("iin_0", with: [.element(.source("fin_0", ["0", "in_0"], .currentControlled(through: "vsw", gain: 0.5)))])
        try deck.insertBeforeAnalysis(.save(["v(in_0)"]))
        #expect(deck.text == "fin_0 0 in_0 vsw 0.5\n.save v(in_0)\n.op\n.end\n")
    }

    @Test("every layer is one subcircuit instanced once with the same node list; probes and supplies stay at the top")
    func layeredDeck() throws {
        let net = Nets.small()
        let d = try DeckEmitter.emit(network: net, stimulus: Nets.smallStimulus,
                                     options: DeckOptions(modelsDirectory: "models/gf180mcu", rawPath: "x.raw"))
        let lines = Self.logicalLines(d.text)
        for l in net.layers {
            let L = l.name.lowercased()
            let heads = lines.filter { $0.hasPrefix(".subckt bmru_layer_\(L) ") }
            let uses = lines.filter { $0.hasPrefix("xl_\(L) ") }
            #expect(heads.count == 1 && uses.count == 1, "layer \(L)")
            guard let h = heads.first, let u = uses.first else { continue }
            let ports = h.split(separator: " ").dropFirst(2)
            let nodes = u.split(separator: " ").dropFirst().dropLast()
            #expect(Array(ports) == Array(nodes), "layer \(L): instance nodes differ from the subcircuit's ports")
            #expect(u.hasSuffix(" bmru_layer_\(L)"))
        }
        // the top level: lines outside every .subckt ... .ends
        var inside = false
        var top: [String] = []
        for l in lines {
            if l.hasPrefix(".subckt") { inside = true; continue }
            if l.hasPrefix(".ends") { inside = false; continue }
            if !inside { top.append(l) }
        }
        for p in d.mapping.probes where p.vector.hasPrefix("i(") {
            let source = String(p.vector.dropFirst(2).dropLast())
            #expect(top.contains { $0.hasPrefix(source + " ") }, "probe source \(source) is not at the top level")
        }
        // a weight device lives inside its layer
        #expect(!top.contains { $0.hasPrefix("xw_pre_0_0 ") })
        #expect(lines.contains { $0.hasPrefix("xw_pre_0_0 ") })
        // nothing but comments runs past 100 characters
        for l in d.text.split(separator: "\n") where !l.hasPrefix("*") {
            #expect(l.utf8.count <= 100, "\(l.prefix(60))… has \(l.utf8.count) characters")
        }
    }

    @Test("mismatch offsets reach the cell instances inside a layer subcircuit")
    func offsetsInsideLayers() throws {
        // 1 input -> relu 1 unit, weight +1: input diode (1 MOSFET) + bias generator (5) + cascoded weight (2)
        // + PMOS mirror (3) + output diode (1) = 12 devices
        let net = Network(name: "one", unitCurrent: 1e-9, framePeriod: 0.01, inputs: 1, layers: [
            Layer(name: "m", kind: .dense, weights: [[1]], bias: [0]),
        ])
        var o = DeckOptions(modelsDirectory: "models/gf180mcu", rawPath: "x.raw")
        o.mismatchSample = MismatchSample(seed: 7, nmosAVT: 0.005, pmosAVT: 0.005)
        let d = try DeckEmitter.emit(network: net, stimulus: nil, options: o)
        let devices = DeviceOffsets.devices(in: d.deck)
        #expect(devices.count == 12, "\(devices.map(\.name))")
        #expect(Set(devices.map(\.name)).isSuperset(of: ["xw_m_0_0.m1", "xw_m_0_0.m2", "xpm_m_0.m3", "xd_m_0.m1", "xdin_0.m1", "xbias.m5"]))
        let lines = Self.logicalLines(d.text)
        let weight = try #require(lines.first { $0.hasPrefix("xw_m_0_0 ") })
        #expect(weight.contains(" dv_m1=") && weight.contains(" dv_m2="), "\(weight)")
        let sub = try #require(lines.first { $0.hasPrefix(".subckt bmru_wc ") })
        #expect(sub.hasSuffix(" dv_m1=0 dv_m2=0"), "\(sub)")
        #expect(lines.contains { $0.hasPrefix("m1 a g 0 0 ") && $0.hasSuffix(" delvto={dv_m1}") })
    }

    @Test("a stimulus of 60 frames (a source on many + lines) drives the circuit frame by frame in ngspice")
    func longSourceRuns() throws {
        // weight 1 relu: the output current follows the input current (within the uncalibrated mirrors' few %)
        let net = Network(name: "follow", unitCurrent: 1e-9, framePeriod: 0.005, inputs: 1, layers: [
            Layer(name: "m", kind: .dense, weights: [[1]], bias: [0]),
        ])
        let frames: [[Double]] = (0..<60).map { (k: Int) -> [Double] in [k % 2 == 0 ? 0.3 : 1.0 + Double(k % 7) * 0.1] }
        var o = DeckOptions(modelsDirectory: try TestEnvironment.modelsDirectory(), rawPath: "x.raw")
        let d = try DeckEmitter.emit(network: net, stimulus: Stimulus(frames: frames, inputs: 1), options: o)
        let sourceLines = d.text.split(separator: "\n").drop { !$0.hasPrefix("iin_0 ") }.prefix { $0.hasPrefix("iin_0 ") || $0.hasPrefix("+ ") }
        #expect(sourceLines.count > 5, "the input source should span several lines")
        let r = try Simulator.shared.run(SimulationRequest(deck: d.text, vectors: ["time", "i(vo_m_0)"], timeout: 300))
        let t = try #require(r.vector("time")), out = try #require(r.vector("i(vo_m_0)"))
        for (k, f) in frames.enumerated() {
            // the last point before the frame's end
            let end = Double(k + 1) * net.framePeriod
            guard let q = t.lastIndex(where: { $0 <= end * (1 - 1e-9) }) else { Issue.record("no point in frame \(k)"); continue }
            let want = f[0] * 1e-9
            #expect(abs(out[q] - want) < 0.06 * want, "frame \(k): \(out[q]) A, input \(want) A")
        }
    }
}
