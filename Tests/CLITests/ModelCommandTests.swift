// `bmru model`: the CSV follows an independent re-computation of the tiny network; a bad stimulus is refused
// naming the stimulus file, line and column, with nothing written (by `bmru cosim` too).
import Foundation
import TestSupport
import Testing

@Suite("bmru model")
struct ModelCommandTests {
    @Test("model: the CSV follows an independent re-computation of the tiny network; bad input writes nothing")
    func model() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-model")
        let out = dir + "/out.csv", states = dir + "/states.csv"
        let r = try BMRU.run(["model", TinyExample.network, "--input", TinyExample.stimulus, "-o", out, "--states", states])
        #expect(r.status == 0, "\(r.stderr)")

        // the tiny network by hand (examples/tiny.json): relu dense, one FQ-BMRU cell, identity dense
        let x = try TinyExample.rows(TinyExample.stimulus).dropFirst().map { $0.map { Double($0)! } }
        let w1 = [[1.0, -0.4], [0.3, 0.9]], b1 = [0.1, 0.05]
        let wc = [[1.0, 0.2], [0.1, 1.0]], lo = [0.3, 0.35], hi = [0.6, 0.7], level = [1.0, 0.8]
        let w2 = [[1.0, -0.6], [-0.5, 1.0]], b2 = [0.2, 0.1]
        var s = [0, 1]
        var expected: [[Double]] = [], expectedStates: [[Int]] = []
        for row in x {
            let h = (0..<2).map { i in max(0, w1[i][0] * row[0] + w1[i][1] * row[1] + b1[i]) }
            for i in 0..<2 {
                let c = max(0, wc[i][0] * h[0] + wc[i][1] * h[1])
                if c > hi[i] { s[i] = 1 } else if c < lo[i] { s[i] = 0 }
            }
            let o = s.indices.map { Double(s[$0]) * level[$0] }
            let y = (0..<2).map { i in w2[i][0] * o[0] + w2[i][1] * o[1] + b2[i] }
            expected.append(h + o + y)
            expectedStates.append(s)
        }
        let got = try TinyExample.rows(out)
        #expect(got.first == ["frame", "pre.0", "pre.1", "cell.0", "cell.1", "out.0", "out.1"])
        #expect(got.count == expected.count + 1)
        for (t, row) in got.dropFirst().enumerated() where t < expected.count {
            let values = row.dropFirst().map { Double($0)! }
            #expect(zip(values, expected[t]).allSatisfy { abs($0 - $1) < 1e-12 }, "frame \(t): \(values) vs \(expected[t])")
        }
        #expect(try TinyExample.rows(states).dropFirst().map { $0.dropFirst().map { Int($0)! } } == expectedStates)
        // the hand-worked sequence does switch both ways, so the comparison checks the hysteresis
        #expect(Set(expectedStates.map { $0[0] }) == [0, 1] && Set(expectedStates.map { $0[1] }) == [0, 1])

        // a stimulus with three columns for a two-input network: exit 2, the file named, no output
        let bad = dir + "/three.csv"
        try "a,b,c\n1,2,3\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let out2 = dir + "/out2.csv"
        let e = try BMRU.run(["model", TinyExample.network, "--input", bad, "-o", out2])
        #expect(e.status == 2 && e.stderr.contains("three.csv"), "\(e.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out2))
    }

    @Test("stimulus: 0x10, 1e308 and a header without rows are refused naming the stimulus file, line and column")
    func hostileStimulus() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-stim")
        for (text, field) in [("a,b\n0x10,0\n", "line 2, column 1"), ("a,b\n0,1e308\n", "line 2, column 2"), ("a,b\n", "no frames")] {
            let stim = dir + "/s.csv"
            try text.write(toFile: stim, atomically: true, encoding: .utf8)
            let m = try BMRU.run(["model", TinyExample.network, "--input", stim, "-o", dir + "/out.csv"])
            #expect(m.status == 2 && m.stderr.contains(stim) && m.stderr.contains(field), "\(text): \(m.stderr)")
            // cosim names the stimulus, not the network, and simulates nothing
            let c = try BMRU.run(["cosim", TinyExample.network, "--input", stim, "--out", dir + "/cosim"])
            #expect(c.status == 2 && c.stderr.contains(stim) && c.stderr.contains(field), "\(text): \(c.stderr)")
            #expect(!c.stderr.contains(TinyExample.network))
            #expect(BMRU.files(dir) == ["s.csv"])
        }
    }
}
