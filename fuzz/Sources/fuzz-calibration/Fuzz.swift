// libFuzzer target: a calibration table (models/calibration/<corner>.json). CalibrationFile.load needs the model
// files; this does what load does with the bytes (JSONDecoder, then validate), then uses a table that passed
// validation the way the emitter does (mirror and cell look-ups), since validate is what guards those.
import Foundation
import FuzzSupport
import Netlist

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let table = try? JSONDecoder().decode(CalibrationFile.self, from: Fuzz.data(bytes, count)) else { return 0 }
    guard (try? table.validate(file: "fuzz.json")) != nil else { return 0 }
    for path in MirrorPath.allCases {
        for current in [1e-12, 1e-9, 1e-6] {
            _ = table.mirror.factor(path, fingerWidth: 1.0, current: current)
            _ = table.sizeWeight(0.7, path: path, current: current)
        }
    }
    for iu in [1e-10, 1e-9, 1e-8] {
        _ = table.realizedCell(thetaHighBias: 1.5, widthBias: 0.5, levelBias: 1, unitCurrent: iu)
    }
    return 0
}
