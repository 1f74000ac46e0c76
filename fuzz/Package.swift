// swift-tools-version:6.0
// Fuzzing harness for AnalogBMRU's parsers (libFuzzer). Built and run by scripts/fuzz.sh (`make fuzz`); see README.md.
// A separate package so that the main package's `swift build` / `swift test` never see the fuzzer flags.
import PackageDescription

/// One executable per parser: each binary is a plain libFuzzer binary (`.build/release/fuzz-wav CRASH_FILE`
/// replays one input), gets its own corpus and coverage map, and a crash in one parser never stops the others.
/// name -> the main package's modules it calls
let fuzzTargets: [(String, [String])] = [
    ("fuzz-network", ["BMRUModel"]),       // NetworkFile.decode (+ encode of what decodes)
    ("fuzz-stimulus", ["BMRUModel"]),      // StimulusFile.parse
    ("fuzz-safetensors", ["BMRUModel"]),   // TensorFile.safetensors
    ("fuzz-npz", ["BMRUModel"]),           // TensorFile.load(path:) of a .npz (zip layer, ZIPFoundation)
    ("fuzz-npy", ["BMRUModel"]),           // TensorFile.npy (one .npy member, no zip)
    ("fuzz-wav", ["KWS"]),                 // WAVFile.decode
    ("fuzz-batch-json", ["Batch"]),        // BatchManifest.parse, JSON (JSONNode.parse, the strict reader)
    ("fuzz-batch-yaml", ["Batch"]),        // BatchManifest.parse, YAML (Yams)
    ("fuzz-calibration", ["Netlist"]),     // CalibrationFile decode + validate (+ table look-ups)
    ("fuzz-selftest", []),                 // not a parser: traps on purpose, checks the harness (run only when named)
    ("fuzz-deck-flatten", ["Ngspice"]),    // DeckFlattener.flatten(text:baseDirectory:)
    // ADD NEW TARGETS HERE, with a Sources/<target>/Fuzz.swift and a line in the TARGETS table of
    // scripts/fuzz.sh. See README.md, "Adding a target".
]

let package = Package(
    name: "AnalogBMRUFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // the main package (its folder name differs between worktrees and CI clones, so it is named here)
        .package(name: "AnalogBMRU", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport"),
    ] + fuzzTargets.map { name, modules in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport"] + modules.map { .product(name: $0, package: "AnalogBMRU") },
            // no main(): libFuzzer's main calls LLVMFuzzerTestOneInput
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v5]
)
