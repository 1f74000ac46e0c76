// `bmru cosim --keep-raw`: ngspice's raw file of the whole transient beside the report, read back here from its
// documented layout (ASCII header, then little-endian doubles point by point) and checked against the report's
// own frame samples; without the flag there is none.
import Foundation
import TestSupport
import Testing

@Suite("bmru cosim --keep-raw (real ngspice)", .serialized)
struct CosimRawTests {
    /// Variables and points of a binary real raw file.
    static func read(_ path: String) throws -> (names: [String], points: [[Double]]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let marker = Data("Binary:\n".utf8)
        let m = try #require(data.range(of: marker), "no Binary: section")
        let header = String(decoding: data[..<m.lowerBound], as: UTF8.self).split(separator: "\n").map(String.init)
        let nv = try #require(header.first { $0.hasPrefix("No. Variables:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
        let np = try #require(header.first { $0.hasPrefix("No. Points:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
        let v = try #require(header.firstIndex(of: "Variables:"))
        let names = header[(v + 1)...(v + nv)].map { $0.split(separator: "\t").map(String.init)[1] }
        let body = data[m.upperBound...]
        #expect(body.count == np * nv * 8, "binary section: \(body.count) bytes for \(np) points × \(nv) variables")
        var points: [[Double]] = []
        body.withUnsafeBytes { raw in
            for p in 0..<np {
                points.append((0..<nv).map { k in raw.loadUnaligned(fromByteOffset: (p * nv + k) * 8, as: Double.self) })
            }
        }
        return (names, points)
    }

    @Test("the raw file holds the whole transient; its values at the frame ends are the report's samples")
    func keepRaw() throws {
        let dir = try TestEnvironment.temporaryDirectory("cosim-raw")
        let root = TestEnvironment.packageRoot.path
        let r = try BMRU.run(["cosim", root + "/examples/tiny.json", "--input", root + "/examples/tiny.csv", "--out", dir + "/r",
                              "--quiet", "--keep-raw"], models: true)
        #expect(r.status == 0, "\(r.stderr)")
        let (names, points) = try Self.read(dir + "/r/deck.raw")
        let t = try #require(names.firstIndex(of: "time")), s = try #require(names.firstIndex(of: "v(s_cell_0)"))
        let c = try #require(names.firstIndex(of: "i(vc_cell_1)"))
        // tiny.csv: 10 frames of 10 ms; the time scale is increasing and reaches the stop time
        #expect(points.count > 100)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0[t] < $1[t] })
        #expect(abs(points.last![t] - 0.1) < 1e-9)
        // the report's frame samples (waveforms.csv), 0.2 % of a frame before each frame's end
        let csv = try String(contentsOfFile: dir + "/r/waveforms.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let state = try #require(csv[0].firstIndex(of: "circuit:cell[0].state")), cand = try #require(csv[0].firstIndex(of: "circuit:cell[1].candidate"))
        func at(_ time: Double, _ k: Int) -> Double {
            let i = points.firstIndex { $0[t] >= time }!
            let a = points[i - 1], b = points[i]
            return a[k] + (b[k] - a[k]) * (time - a[t]) / (b[t] - a[t])
        }
        for (f, row) in csv.dropFirst().enumerated() {
            let time = (Double(f + 1) - 0.002) * 0.01
            #expect((at(time, s) > 0.9 ? 1.0 : 0.0) == Double(row[state]), "frame \(f): state")
            // the candidate probe's current, A, against the sample in units of the 1 nA unit current
            let units = abs(at(time, c)) / 1e-9
            #expect(abs(units - Double(row[cand])!) <= 1e-6 * max(1, units), "frame \(f): candidate \(units) vs \(row[cand])")
        }
        // without the flag: no raw file, and no temporary one left beside the folder
        let plain = try BMRU.run(["cosim", root + "/examples/tiny.json", "--input", root + "/examples/tiny.csv", "--out", dir + "/p", "--quiet"], models: true)
        #expect(plain.status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/p/deck.raw"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("bmru-raw") }.isEmpty)
    }
}
