// libFuzzer target: a batch manifest in JSON (BatchManifest.parse, then the job expansion `bmru batch` does).
// The input is parsed as if it were examples/fuzz-input.json, so it can name the example networks and stimuli
// (tiny.json, tiny.csv, ...) and the parser goes past the file references.
import Batch
import Foundation
import FuzzSupport

private let file = Fuzz.examplesDirectory + "/fuzz-input.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let manifest = try? BatchManifest.parse(Fuzz.data(bytes, count), file: file) else { return 0 }
    _ = try? manifest.jobs(modelsDirectory: Fuzz.scratchDirectory)
    return 0
}
