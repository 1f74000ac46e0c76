// The SPICE deck flattener (Sources/Ngspice/DeckFlattener.swift): no input may crash it or hang it.
//
// Decks `.include` other files relative to baseDirectory: the input is flattened from a scratch folder that holds
// only this input (as `input.spice`) and one small included file, so includes resolve without reading the repo.
import Foundation
import FuzzSupport
import Ngspice

private let base: String = {
    _ = Fuzz.scratchFile(Data("* included\nR1 a b 1k\n".utf8), name: "inc.spice")
    return Fuzz.scratchDirectory
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    // decks are text: inputs that are not UTF-8 are skipped (the flattener takes a String)
    guard let text = String(data: Fuzz.data(bytes, count), encoding: .utf8) else { return 0 }
    _ = try? DeckFlattener.flatten(text: text, baseDirectory: base)
    return 0
}
