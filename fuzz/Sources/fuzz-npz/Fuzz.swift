// libFuzzer target: a NumPy .npz archive (TensorFile.load of a .npz path: ZIPFoundation, then TensorFile.npy).
// The npz reader only takes a path, so every input is written to one scratch file first.
import BMRUModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let path = Fuzz.scratchFile(Fuzz.data(bytes, count), name: "input.npz")
    _ = try? TensorFile.load(path: path)
    return 0
}
