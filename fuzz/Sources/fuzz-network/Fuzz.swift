// libFuzzer target: a `bmru-network` JSON file (NetworkFile.decode). A thrown error is a rejection, fine;
// a trap, crash, hang or memory blow-up is a finding.
import BMRUModel
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Fuzz.data(bytes, count)
    guard let network = try? NetworkFile.decode(data, file: "fuzz.json") else { return 0 }
    // what decodes is written back by `bmru import`/`train`: the writer must take every accepted network
    if let text = try? NetworkFile.encode(network) {
        _ = try? NetworkFile.decode(text, file: "fuzz-reencoded.json")
    }
    return 0
}
