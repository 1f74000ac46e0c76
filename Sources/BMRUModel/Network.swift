// The in-memory form of a `bmru-network` v1 file. Decoding and validation live in NetworkFile.swift.
// Units: every current-like number is in model units (1.0 = `unitCurrent` amperes).

/// Activation of a dense layer.
public enum Activation: String, Codable, Sendable, Equatable {
    case relu
    case identity
}

/// Which kind of layer.
public enum LayerKind: String, Codable, Sendable, Equatable {
    case dense
    case bmru
}

/// One layer of an FQ-BMRU network. Fields that do not apply to the kind are nil.
public struct Layer: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    /// rows = outputs, columns = inputs
    public var weights: [[Double]]
    public var bias: [Double]
    /// dense only (defaults to relu)
    public var activation: Activation
    /// dense only: name of an earlier layer whose output is added after the activation
    public var residual: String?
    /// bmru only
    public var thetaLow: [Double]?
    public var thetaHigh: [Double]?
    public var level: [Double]?
    public var initialState: [Int]?

    public var outputs: Int { weights.count }
    /// numbers in weights, bias, theta_low, theta_high and level
    public var parameterCount: Int {
        weights.reduce(0) { $0 + $1.count } + bias.count + (thetaLow?.count ?? 0) + (thetaHigh?.count ?? 0) + (level?.count ?? 0)
    }
    public var inputs: Int { weights.first?.count ?? 0 }

    public init(name: String, kind: LayerKind, weights: [[Double]], bias: [Double],
                activation: Activation = .relu, residual: String? = nil,
                thetaLow: [Double]? = nil, thetaHigh: [Double]? = nil,
                level: [Double]? = nil, initialState: [Int]? = nil) {
        self.name = name; self.kind = kind; self.weights = weights; self.bias = bias
        self.activation = activation; self.residual = residual
        self.thetaLow = thetaLow; self.thetaHigh = thetaHigh; self.level = level
        self.initialState = initialState
    }
}

/// A whole network.
public struct Network: Sendable, Equatable {
    public var name: String
    /// amperes per model unit
    public var unitCurrent: Double
    /// seconds per frame
    public var framePeriod: Double
    public var inputs: Int
    public var layers: [Layer]
    /// carried through untouched (the raw JSON text of the `metadata` object as it appears in the file;
    /// written back verbatim by NetworkFile.encode), nil when absent
    public var metadataJSON: String?

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    public init(name: String, unitCurrent: Double, framePeriod: Double, inputs: Int,
                layers: [Layer], metadataJSON: String? = nil) {
        self.name = name; self.unitCurrent = unitCurrent; self.framePeriod = framePeriod
        self.inputs = inputs; self.layers = layers; self.metadataJSON = metadataJSON
    }
}
