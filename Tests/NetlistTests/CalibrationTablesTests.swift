// Calibration tables per temperature: the file names, the nearest-temperature choice, and the check that a
// table measured at one temperature cannot pass for another.
import Foundation
import Netlist
import TestSupport
import Testing

@Suite("Calibration tables per temperature")
struct CalibrationTablesTests {
    @Test("file names: <corner>.json at 27 °C, <corner>-<T>C.json otherwise, negative as minus; foreign names are not tables")
    func names() {
        #expect(CalibrationTables.fileName(corner: .typical, temperature: 27) == "typical.json")
        #expect(CalibrationTables.fileName(corner: .typical, temperature: 85) == "typical-85C.json")
        #expect(CalibrationTables.fileName(corner: .ss, temperature: -20) == "ss-minus20C.json")
        for t in [-40.0, -20, 0, 85, 125] {
            #expect(CalibrationTables.temperature(fileName: CalibrationTables.fileName(corner: .ff, temperature: t), corner: .ff) == t)
        }
        #expect(CalibrationTables.temperature(fileName: "typical.json", corner: .typical) == 27)
        for bad in ["ff-85C.json", "typical-C.json", "typical-8x5C.json", "typical-85.json", "typical-27C.json", "typical-minusC.json"] {
            #expect(CalibrationTables.temperature(fileName: bad, corner: .typical) == nil, "\(bad)")
        }
    }

    @Test("the nearest temperature's table, the lower one on a tie; only the corner's own tables")
    func nearest() throws {
        let dir = try TestEnvironment.temporaryDirectory("cal-tables")
        for n in ["typical.json", "typical-85C.json", "typical-minus20C.json", "ff-125C.json", "notes.txt"] {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/" + n))
        }
        func pick(_ t: Double) -> String? { CalibrationTables.nearest(in: dir, corner: .typical, temperature: t).map { URL(fileURLWithPath: $0).lastPathComponent } }
        #expect(pick(27) == "typical.json")
        #expect(pick(80) == "typical-85C.json")
        #expect(pick(125) == "typical-85C.json")     // ff-125C.json is another corner's
        #expect(pick(50) == "typical.json")          // 23 from 27, 35 from 85
        #expect(pick(56) == "typical.json")          // 29 from both: the lower
        #expect(pick(0) == "typical-minus20C.json")  // 20 from −20, 27 from 27
        #expect(CalibrationTables.nearest(in: dir, corner: .ss, temperature: 27) == nil)
        #expect(CalibrationTables.available(in: dir, corner: .typical).map(\.temperature) == [-20, 27, 85])
    }

    @Test("a table whose name says another temperature than it was measured at is refused; the real tables load")
    func temperatureChecked() throws {
        let models = try TestEnvironment.modelsDirectory()
        let shipped = TestEnvironment.packageRoot.appendingPathComponent("models/calibration").path
        let dir = try TestEnvironment.temporaryDirectory("cal-mislabelled")
        try FileManager.default.copyItem(atPath: shipped + "/typical.json", toPath: dir + "/typical-85C.json")
        #expect(throws: CalibrationError.self) { _ = try CalibrationFile.load(path: dir + "/typical-85C.json", modelsDirectory: models, corner: .typical) }
        do {
            _ = try CalibrationFile.load(path: dir + "/typical-85C.json", modelsDirectory: models, corner: .typical)
        } catch let e as CalibrationError {
            #expect("\(e)".contains("temperatureC") && "\(e)".contains("85"), "\(e)")
        }
        // positive control: every shipped table loads, and each was measured at the temperature its name says
        for c in Corner.allCases {
            for (t, p) in CalibrationTables.available(in: shipped, corner: c) {
                let f = try CalibrationFile.load(path: p, modelsDirectory: models, corner: c)
                #expect(abs(f.temperatureC - t) < 0.5, "\(p)")
            }
        }
        #expect(Corner.allCases.allSatisfy { CalibrationTables.available(in: shipped, corner: $0).count >= 2 })
    }
}
