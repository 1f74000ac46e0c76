// libFuzzer target: one .npy member of an npz archive (TensorFile.npy), without the zip layer around it.
import BMRUModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? TensorFile.npy(Fuzz.data(bytes, count), file: "fuzz.npz", name: "fuzz")
    return 0
}
