// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "AnalogBMRU",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bmru", targets: ["bmru"]),
        // libraries for the fuzz package in fuzz/ (it depends on this package by path)
        .library(name: "BMRUModel", targets: ["BMRUModel"]),
        .library(name: "KWS", targets: ["KWS"]),
        .library(name: "CoSim", targets: ["CoSim"]),
        .library(name: "Batch", targets: ["Batch"]),
        .library(name: "Netlist", targets: ["Netlist"]),
        .library(name: "Characterization", targets: ["Characterization"]),
        .library(name: "Ngspice", targets: ["Ngspice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CNgspice",
            pkgConfig: "ngspice",
            providers: [.apt(["libngspice0-dev"])]
        ),
        .target(name: "Ngspice", dependencies: ["CNgspice"]),
        .target(name: "BMRUKernels"),
        .target(name: "BMRUModel", dependencies: [
            "BMRUKernels",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "Netlist", dependencies: ["BMRUModel"]),
        // benches, calibration runs and the circuit-aware model: above the emitter, below co-simulation
        .target(name: "Characterization", dependencies: ["Netlist", "BMRUModel"]),
        .target(name: "CoSim", dependencies: ["BMRUModel", "Netlist", "Ngspice"]),
        .target(name: "Batch", dependencies: [
            "CoSim", "Characterization", "BMRUModel", "Netlist", "Ngspice",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "KWS", dependencies: ["BMRUModel"]),
        .executableTarget(name: "bmru", dependencies: [
            "Ngspice", "BMRUModel", "Netlist", "Characterization", "CoSim", "Batch", "KWS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["BMRUModel"], path: "Tests/TestSupport"),
        // batch manifests and fixtures shared by BatchTests, CoSimTests (NoiseTests) and CLITests
        .target(name: "BatchTestSupport", dependencies: ["Batch", "TestSupport"], path: "Tests/BatchTestSupport"),
        .testTarget(name: "NgspiceTests", dependencies: ["Ngspice", "TestSupport"]),
        .testTarget(name: "BMRUModelTests", dependencies: ["BMRUModel", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NetlistTests", dependencies: ["Netlist", "Ngspice", "BMRUModel", "TestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "CharacterizationTests", dependencies: ["Characterization", "Netlist", "Ngspice", "BMRUModel",
                                                                  "TestSupport"]),
        .testTarget(name: "KWSTests", dependencies: ["KWS", "BMRUModel"]),
        // end-to-end tests of the bmru binary, one file per command; the libraries read back what it wrote
        .testTarget(name: "CLITests", dependencies: ["BMRUModel", "KWS", "CoSim", "Batch", "TestSupport", "BatchTestSupport"]),
        .testTarget(name: "CoSimTests", dependencies: ["CoSim", "Batch", "Characterization", "Netlist", "Ngspice", "BMRUModel", "TestSupport",
                                                       "BatchTestSupport"]),
        .testTarget(name: "BatchTests", dependencies: ["Batch", "CoSim", "Characterization", "Netlist", "Ngspice", "BMRUModel", "TestSupport",
                                                       "BatchTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
