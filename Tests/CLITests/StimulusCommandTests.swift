// `bmru stimulus`: the same seed gives the same file, zeros at the asked density, values in [0, 1].
import Foundation
import TestSupport
import Testing

@Suite("bmru stimulus")
struct StimulusCommandTests {
    @Test("stimulus: the same seed gives the same file; zeros at the asked density; values in (0, 1]")
    func stimulus() throws {
        let dir = try TestEnvironment.temporaryDirectory("cli-stimulus")
        for name in ["a.csv", "b.csv"] {
            let r = try BMRU.run(["stimulus", "--inputs", "13", "--frames", "1000", "--seed", "42", "--density", "0.3", "-o", dir + "/" + name])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.csv")), b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b.csv"))
        #expect(a == b)
        let values = try TinyExample.rows(dir + "/a.csv").dropFirst().flatMap { $0.map { Double($0)! } }
        #expect(values.count == 13_000)
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        // 13 000 Bernoulli(0.3) draws: σ of the fraction is 0.004; ±0.02 is five σ
        let zeros = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        #expect(abs(zeros - 0.3) < 0.02, "zero fraction \(zeros)")
        let r = try BMRU.run(["stimulus", "--inputs", "13", "--frames", "1000", "--seed", "43", "--density", "0.3", "-o", dir + "/c.csv"])
        #expect(r.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/c.csv")) != a)
        let bad = try BMRU.run(["stimulus", "--inputs", "13", "--frames", "10", "--density", "1.5", "-o", dir + "/d.csv"])
        #expect(bad.status == 2 && bad.stderr.contains("density"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/d.csv"))
    }
}
