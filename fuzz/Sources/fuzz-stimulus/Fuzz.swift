// libFuzzer target: a stimulus CSV (StimulusFile.parse), without and with an expected input count.
import BMRUModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Fuzz.data(bytes, count)
    guard let s = try? StimulusFile.parse(data, file: "fuzz.csv", inputs: nil) else { return 0 }
    _ = try? StimulusFile.parse(data, file: "fuzz.csv", inputs: s.inputs)
    _ = try? StimulusFile.parse(data, file: "fuzz.csv", inputs: s.inputs + 1)
    _ = StimulusFile.csv(s)
    return 0
}
