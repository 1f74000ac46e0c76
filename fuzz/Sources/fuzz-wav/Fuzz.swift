// libFuzzer target: WAV bytes (WAVFile.decode).
import Foundation
import FuzzSupport
import KWS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? WAVFile.decode(Fuzz.data(bytes, count), file: "fuzz.wav")
    return 0
}
