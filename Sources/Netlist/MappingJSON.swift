// Fast deterministic JSON for the mapping report (Foundation's JSONEncoder took ~0.6 s for the 65 536
// entries of a 256 -> 256 layer). Keys are sorted, two-space indented; numbers use Swift's shortest
// round-trip form, so the text decodes back to the identical DeckMapping (tested).

import BMRUModel
import Foundation

enum MappingJSON {
    static func encode(_ m: DeckMapping) -> Data {
        var o = ""
        o.reserveCapacity(256 + m.parameters.count * 260 + m.probes.count * 100)
        o += "{\n"
        var top: [(String, (inout String) -> Void)] = [
            ("corner", { $0 += str(m.corner) }),
            ("format", { $0 += str(m.format) }),
            ("framePeriodS", { $0 += num(m.framePeriodS) }),
            ("frames", { $0 += String(m.frames) }),
            ("generator", { $0 += str(m.generator) }),
            ("network", { $0 += str(m.network) }),
            ("parameters", { o in
                o += "[\n"
                for (k, p) in m.parameters.enumerated() {
                    o += "    {\n"
                    var fields: [String] = []
                    if let c = p.currentA { fields.append("\"currentA\": " + num(c)) }
                    fields.append("\"elements\": [" + p.elements.map(str).joined(separator: ", ") + "]")
                    fields.append("\"error\": " + num(p.error))
                    if let w = p.fingerWidthUm { fields.append("\"fingerWidthUm\": " + num(w)) }
                    if let f = p.fingers { fields.append("\"fingers\": " + String(f)) }
                    if let n = p.note { fields.append("\"note\": " + str(n)) }
                    fields.append("\"parameter\": " + str(p.parameter))
                    fields.append("\"realization\": " + str(p.realization))
                    fields.append("\"realizedValue\": " + num(p.realizedValue))
                    fields.append("\"value\": " + num(p.value))
                    o += "      " + fields.joined(separator: ",\n      ") + "\n    }"
                    o += k + 1 < m.parameters.count ? ",\n" : "\n"
                }
                o += "  ]"
            }),
            ("probes", { o in
                o += "[\n"
                for (k, p) in m.probes.enumerated() {
                    var fields = ["\"kind\": " + str(p.kind)]
                    if let l = p.layer { fields.append("\"layer\": " + str(l)) }
                    if let u = p.unit { fields.append("\"unit\": " + String(u)) }
                    fields.append("\"vector\": " + str(p.vector))
                    o += "    {" + fields.joined(separator: ", ") + "}" + (k + 1 < m.probes.count ? ",\n" : "\n")
                }
                o += "  ]"
            }),
            ("stopTimeS", { $0 += num(m.stopTimeS) }),
            ("technology", { o in
                o += "{\n" + m.technology.sorted { $0.key < $1.key }.map { "    " + str($0.key) + ": " + str($0.value) }
                    .joined(separator: ",\n") + "\n  }"
            }),
            ("temperatureC", { $0 += num(m.temperatureC) }),
            ("unitCurrentA", { $0 += num(m.unitCurrentA) }),
            ("vdd", { $0 += num(m.vdd) }),
            ("version", { $0 += String(m.version) }),
        ]
        if let h = m.networkSHA256 { top.append(("networkSHA256", { $0 += str(h) })) }
        top.sort { $0.0 < $1.0 }
        for (k, (key, write)) in top.enumerated() {
            o += "  " + str(key) + ": "
            write(&o)
            o += k + 1 < top.count ? ",\n" : "\n"
        }
        o += "}\n"
        return Data(o.utf8)
    }

    static func num(_ x: Double) -> String {
        x.isFinite ? NumberText.json(x) : "null"
    }

    static func str(_ s: String) -> String {
        JSONWriter.string(s)
    }
}
