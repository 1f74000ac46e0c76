// Public types of the netlist emitter: options, the emitted deck, its parameter mapping, errors.

import Foundation

/// What the deck's analysis card is.
public enum DeckAnalysis: Equatable, Sendable {
    /// `.tran` over the whole stimulus (one frame when there is no stimulus)
    case transient
    /// `.op`
    case operatingPoint
    /// `.dc <source> <start> <stop> <step>` — the source must be one of the deck's elements (e.g. "iin_0")
    case dcSweep(source: String, start: Double, stop: Double, step: Double)
}

/// How to emit a deck.
public struct DeckOptions: Sendable {
    public var corner: Corner
    public var vdd: Double
    /// °C
    public var temperature: Double
    /// folder holding design.ngspice and sm141064.ngspice (written into the deck as given; use an
    /// absolute path for a deck that runs from anywhere)
    public var modelsDirectory: String
    /// sha256 of the network file, written into the header and the mapping
    public var networkSHA256: String?
    /// where the `.control` block writes the raw file (`ngspice -b DECK.sp` alone); nil: "bmru.raw"
    public var rawPath: String?
    /// generator version written into the header
    public var generatorVersion: String
    public var analysis: DeckAnalysis
    /// transient time step = frame period / stepsPerFrame (ngspice also caps its step at this value)
    public var stepsPerFrame: Int
    /// input edges last this fraction of a frame (≤ 0.01 by the probe contract)
    public var edgeFraction: Double
    /// Monte Carlo mismatch sample: nil = nominal devices; a seed in 1...2147483647 switches GF180MCU's
    /// per-device mismatch on (`sw_stat_mismatch=1`) and fixes ngspice's random draws (`.option seed`).
    public var mismatchSeed: UInt64? = nil
    /// Calibration tables (Calibration.swift): nil = uncalibrated nominal sizing. With tables, weight widths
    /// and bias currents are pre-distorted so the circuit realises the trained values at the unit current.
    public var calibration: CalibrationFile? = nil
    /// Shared-sample mismatch (DeviceOffsets.swift): explicit per-device delvto drawn in Swift; nil = none.
    public var mismatchSample: MismatchSample? = nil
    /// Noise currents at the cells' candidate and state nodes (DeviceNoise.swift); nil = none.
    public var deviceNoise: DeviceNoise? = nil
    /// Hard limits the network must respect (errors thrown by `DeckEmitter.emit`); nil only for benches that
    /// deliberately drive the cells outside them (the transient ramp's short stairs).
    public var operatingRange: OperatingRange? = .gf180mcu
    /// Operating currents the calibrated sizing is inverted at, units: per layer name the RMS current of each of
    /// its inputs over the stimulus (also "<layer>.relu_copy" / "<layer>.residual" per unit). nil: filled from the
    /// stimulus by the ideal model when calibrating; 1 unit where unknown.
    public var operatingCurrents: [String: [Double]]? = nil

    public init(corner: Corner = .typical, vdd: Double = 1.8, temperature: Double = 27,
                modelsDirectory: String, networkSHA256: String? = nil, rawPath: String? = nil,
                generatorVersion: String = "0.1.0", analysis: DeckAnalysis = .transient,
                stepsPerFrame: Int = 4, edgeFraction: Double = 0.001) {
        self.corner = corner; self.vdd = vdd; self.temperature = temperature
        self.modelsDirectory = modelsDirectory; self.networkSHA256 = networkSHA256; self.rawPath = rawPath
        self.generatorVersion = generatorVersion; self.analysis = analysis
        self.stepsPerFrame = stepsPerFrame; self.edgeFraction = edgeFraction
    }
}

/// One learned parameter (or structural copy) and how the deck realises it.
public struct ParameterRealization: Codable, Equatable, Sendable {
    /// e.g. "pre.weights[0][3]", "cell1.theta_low[2]", "post1.residual[0]"
    public var parameter: String
    /// trained value, model units
    public var value: Double
    /// "fingers", "zero", "below_minimum_dropped", "below_minimum_rounded", "ideal_current",
    /// "ideal_current_mirrored", "none", "initial_condition", "copy"
    public var realization: String
    /// deck elements realising it (instance or source names)
    public var elements: [String]
    /// weights: number of unit-length fingers and their drawn width (µm)
    public var fingers: Int?
    public var fingerWidthUm: Double?
    /// currents: the value of the ideal source(s) in amperes (the current the circuit is meant to carry)
    public var currentA: Double?
    /// the value the drawn circuit realises (nominal, model units)
    public var realizedValue: Double
    /// realizedValue − value
    public var error: Double
    public var note: String?
}

/// A named probe of the deck.
public struct ProbeEntry: Codable, Equatable, Sendable {
    /// ngspice vector name, e.g. "v(s_cell1_0)", "i(vo_out_0_p)"
    public var vector: String
    /// "state", "comparison_node", "output_current", "output_current_positive", "output_current_negative",
    /// "candidate_current", "relu_current", "input_node", "supply_current"
    public var kind: String
    public var layer: String?
    public var unit: Int?
}

/// The mapping report written beside the deck (DECK.mapping.json).
public struct DeckMapping: Codable, Equatable, Sendable {
    public var format: String = "bmru-deck-mapping"
    public var version: Int = 1
    public var generator: String
    public var network: String
    public var networkSHA256: String?
    public var unitCurrentA: Double
    public var framePeriodS: Double
    public var frames: Int
    public var stopTimeS: Double
    public var corner: String
    public var vdd: Double
    public var temperatureC: Double
    public var technology: [String: String]
    public var probes: [ProbeEntry]
    public var parameters: [ParameterRealization]
}

/// The emitter's result: the typed deck and its text (kept in step: change the deck through `edit`).
public struct EmittedDeck: Sendable {
    public private(set) var deck: SpiceDeck
    public private(set) var text: String
    public var mapping: DeckMapping
    /// deterministic JSON of `mapping` (sorted keys, pretty printed)
    public var mappingJSON: Data
    public var stopTime: Double
    public var frames: Int
    public var framePeriod: Double

    init(deck: SpiceDeck, mapping: DeckMapping, mappingJSON: Data, stopTime: Double, frames: Int, framePeriod: Double) {
        self.deck = deck; self.text = deck.text; self.mapping = mapping; self.mappingJSON = mappingJSON
        self.stopTime = stopTime; self.frames = frames; self.framePeriod = framePeriod
    }

    /// Changes the deck's structure (benches: replace a source, add a `.save`; mismatch offsets) and rewrites its text.
    public mutating func edit(_ change: (inout SpiceDeck) throws -> Void) rethrows {
        try change(&deck)
        text = deck.text
    }
}

/// Why a deck could not be emitted.
public struct NetlistError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case invalidName, invalidNetwork, invalidStimulus, invalidOption
    }
    public var kind: Kind
    /// JSON-path-like location, e.g. "layers[1].name", "stimulus.frames[3][0]", "options.vdd"
    public var field: String
    public var reason: String
    public init(kind: Kind, field: String, reason: String) {
        self.kind = kind; self.field = field; self.reason = reason
    }
    public var description: String { "\(field): \(reason)" }
}
