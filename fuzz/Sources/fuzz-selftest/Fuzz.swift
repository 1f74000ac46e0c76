// Not a parser: checks the harness itself. An input that starts with "BMRU!" traps (index out of range), so
// `scripts/fuzz.sh fuzz-selftest` must report one finding and exit 1. It runs only when named.
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let b = [UInt8](Fuzz.data(bytes, count))
    if b.count >= 5, b[0] == 0x42, b[1] == 0x4D, b[2] == 0x52, b[3] == 0x55, b[4] == 0x21 {
        let empty: [Int] = []
        _ = empty[b.count]  // traps
    }
    return 0
}
