// libFuzzer target: safetensors bytes (TensorFile.safetensors).
import BMRUModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? TensorFile.safetensors(Fuzz.data(bytes, count), file: "fuzz.safetensors")
    return 0
}
