// The power-scaling study (`bmru power`): networks of growing state width N from one seeded recipe, each
// co-simulated as a job of a batch (so it runs on the worker pool, shows progress and resumes), their power
// split into recurrence (the cells) and feedforward (mirrors and candidate matrices), and least-squares fits
// P_cells = a·N + b and P_ff = c·N² + d·N + e with R².

import BMRUModel
import CoSim
import Foundation

/// What to study.
public struct PowerStudyOptions: Sendable, Equatable {
    public var widths: [Int]
    /// network inputs (13: the keyword spotter's MFCC width)
    public var inputs = 13
    public var outputs = 2
    /// frames of the shared random stimulus
    public var frames = 20
    /// networks per width (different draws of the recipe); a point is their mean
    public var samples = 3
    public var seed: UInt64 = 1
    public var unitCurrent = 1e-9
    public var framePeriod = 0.01
    public init(widths: [Int]) { self.widths = widths }
}

/// One width's measurement.
public struct PowerPoint: Codable, Equatable, Sendable {
    public var width: Int
    /// comparators, level copies and the cells' references
    public var cells_w: Double
    /// every layer's mirrors, the candidate matrix and the references of negative biases
    public var feedforward_w: Double
    /// the shared bias generator (neither: one per circuit)
    public var shared_w: Double
    public var total_w: Double
    /// the lowest state agreement of the width's co-simulations (the power is the circuit's; this says the
    /// circuit did its job)
    public var state_agreement: Double
    /// the width's jobs (one per sample), in sample order
    public var jobs: [String]
}

/// A least-squares polynomial fit.
public struct PowerFit: Codable, Equatable, Sendable {
    /// "linear" or "quadratic"
    public var model: String
    /// coefficients from the highest power down: linear [a, b] (a·N + b), quadratic [c, d, e]
    public var coefficients: [Double]
    public var r2: Double
}

/// `DIR/power.json`.
public struct PowerStudyResult: Codable, Equatable, Sendable {
    public var format = "bmru-power"
    public var version = 1
    public var recipe: String
    public var points: [PowerPoint]
    public var fits: Fits
    /// W per added cell, from the linear fit's slope
    public var marginal_cell_w: Double

    public struct Fits: Codable, Equatable, Sendable {
        public var cells: PowerFit
        public var feedforward: PowerFit
    }

    public func json() throws -> Data { try ReportJSON.encode(self) }
    public static func decode(_ data: Data) throws -> PowerStudyResult { try ReportJSON.decode(PowerStudyResult.self, from: data) }
}

public enum PowerStudy {
    public static let recipe = """
        inputs → dense relu N (weights U(−0.6, 0.9), bias U(0, 0.2)) → bmru N (weights U(−1, 1)/√N·2, bias 0, \
        θ_high U(0.5, 0.9), θ_low = θ_high − U(0.2, 0.4), level U(0.5, 1), initial state 0) → dense identity 2 \
        (weights U(−1, 1)/√N, bias 0); one seeded generator per width and sample; a shared random stimulus \
        (uniform (0, 1] units); each point the mean over the width's samples
        """

    /// The network of width `n`, sample `k` (deterministic in the options' seed, `n` and `k`).
    public static func network(width n: Int, sample k: Int, _ o: PowerStudyOptions) -> Network {
        var g = SeededGenerator(seed: (o.seed &* 1000 &+ UInt64(n)) &* 1000 &+ UInt64(k))
        func u(_ a: Double, _ b: Double) -> Double { g.nextDouble(in: a, b) }
        let scale = 1 / Double(n).squareRoot()
        let pre = Layer(name: "pre", kind: .dense, weights: (0..<n).map { _ in (0..<o.inputs).map { _ in u(-0.6, 0.9) } },
                        bias: (0..<n).map { _ in u(0, 0.2) })
        var cellWeights: [[Double]] = [], hi: [Double] = [], lo: [Double] = [], level: [Double] = []
        for _ in 0..<n {
            cellWeights.append((0..<n).map { _ in u(-1, 1) * 2 * scale })
            let h = u(0.5, 0.9)
            hi.append(h); lo.append(h - u(0.2, 0.4)); level.append(u(0.5, 1))
        }
        let cell = Layer(name: "cell", kind: .bmru, weights: cellWeights, bias: [Double](repeating: 0, count: n),
                         thetaLow: lo, thetaHigh: hi, level: level, initialState: [Int](repeating: 0, count: n))
        let out = Layer(name: "out", kind: .dense, weights: (0..<o.outputs).map { _ in (0..<n).map { _ in u(-1, 1) * scale } },
                        bias: [Double](repeating: 0, count: o.outputs), activation: .identity)
        return Network(name: name(width: n, sample: k), unitCurrent: o.unitCurrent, framePeriod: o.framePeriod, inputs: o.inputs,
                       layers: [pre, cell, out])
    }

    public static func name(width n: Int, sample k: Int) -> String { "power-w\(n)-s\(k)" }

    /// (width, sample) of a study network's name, nil for another name.
    public static func parse(name: String) -> (width: Int, sample: Int)? {
        let p = name.split(separator: "-")
        guard p.count == 3, p[0] == "power", p[1].hasPrefix("w"), p[2].hasPrefix("s"),
              let n = Int(p[1].dropFirst()), let k = Int(p[2].dropFirst()) else { return nil }
        return (n, k)
    }

    /// Writes the networks and the batch manifest into `dir` (DIR/inputs/, DIR/power-batch.json); returns the
    /// manifest's path. Same options: byte-identical files.
    public static func prepare(_ o: PowerStudyOptions, in dir: String) throws -> String {
        let inputs = dir + "/inputs"
        try BatchError.writing {
            try FileOutput.makeDirectory(inputs)
            var names: [String] = []
            for n in o.widths {
                for k in 0..<o.samples {
                    let file = name(width: n, sample: k) + ".json"
                    try AtomicWrite.write(NetworkFile.encode(network(width: n, sample: k, o)), to: inputs + "/" + file)
                    names.append("\"inputs/\(file)\"")
                }
            }
            let manifest = """
                {
                  "format": "bmru-batch", "version": 1, "name": "power-scaling",
                  "comment": "bmru power: widths \(o.widths.map(String.init).joined(separator: ", ")), \(o.samples) samples each; \(recipe)",
                  "networks": [\(names.joined(separator: ", "))],
                  "stimuli": [{"random": {"frames": \(o.frames), "seed": \(o.seed), "density": 0}}],
                  "corners": ["typical"], "temperatures": [27], "vdds": [1.8],
                  "thresholds": {"required_state_agreement": 0, "require_decision_agreement": false},
                  "required_yield": 0
                }

                """
            try AtomicWrite.write(Data(manifest.utf8), to: dir + "/power-batch.json")
        }
        return dir + "/power-batch.json"
    }

    /// One width's point: the mean over its samples' reports (job id, report).
    public static func point(width: Int, samples: [(job: String, report: AgreementReport)]) throws -> PowerPoint {
        var cells = 0.0, ff = 0.0, shared = 0.0, total = 0.0, agreement = 1.0
        for (job, r) in samples {
            guard let parts = r.power_parts else {
                throw BatchError(kind: .output, file: job, reason: "the job's report has no power split (made by an older bmru)")
            }
            for p in parts {
                switch p.part {
                case "comparators", "level_copies": cells += p.watts
                case "references": if p.layer == "cell" { cells += p.watts } else { ff += p.watts }
                case "bias_generator": shared += p.watts
                default: ff += p.watts
                }
            }
            total += r.power_w["total"] ?? 0
            agreement = min(agreement, r.state_agreement)
        }
        let k = Double(max(samples.count, 1))
        return PowerPoint(width: width, cells_w: cells / k, feedforward_w: ff / k, shared_w: shared / k, total_w: total / k,
                          state_agreement: agreement, jobs: samples.map(\.job))
    }

    /// Least squares of `y` on the powers `degree` … 0 of `x` (normal equations, Gaussian elimination).
    public static func fit(x: [Double], y: [Double], degree: Int) -> PowerFit {
        let k = degree + 1
        var a = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)
        for (xi, yi) in zip(x, y) {
            let row = (0..<k).map { pow(xi, Double(degree - $0)) }
            for r in 0..<k {
                for c in 0..<k { a[r][c] += row[r] * row[c] }
                a[r][k] += row[r] * yi
            }
        }
        for col in 0..<k {
            let pivot = (col..<k).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            guard a[col][col] != 0 else { continue }
            for r in 0..<k where r != col {
                let f = a[r][col] / a[col][col]
                for c in col...k { a[r][c] -= f * a[col][c] }
            }
        }
        let coef = (0..<k).map { a[$0][$0] == 0 ? 0 : a[$0][k] / a[$0][$0] }
        let mean = y.reduce(0, +) / Double(max(y.count, 1))
        var ssRes = 0.0, ssTot = 0.0
        for (xi, yi) in zip(x, y) {
            let f = coef.enumerated().reduce(0) { $0 + $1.element * pow(xi, Double(degree - $1.offset)) }
            ssRes += (yi - f) * (yi - f)
            ssTot += (yi - mean) * (yi - mean)
        }
        return PowerFit(model: degree == 1 ? "linear" : degree == 2 ? "quadratic" : "degree \(degree)",
                        coefficients: coef, r2: ssTot > 0 ? 1 - ssRes / ssTot : 1)
    }

    /// The study's result from its points (sorted by width).
    public static func result(_ points: [PowerPoint]) -> PowerStudyResult {
        let p = points.sorted { $0.width < $1.width }
        let n = p.map { Double($0.width) }
        let cells = fit(x: n, y: p.map(\.cells_w), degree: 1)
        let ff = fit(x: n, y: p.map(\.feedforward_w), degree: 2)
        return PowerStudyResult(recipe: recipe, points: p, fits: .init(cells: cells, feedforward: ff),
                                marginal_cell_w: cells.coefficients.first ?? 0)
    }
}

/// `DIR/power.html`: the points and both fits (inline SVG), and the table of points.
public enum PowerStudyPage {
    public static func html(_ r: PowerStudyResult) -> String {
        func nw(_ w: Double) -> String { String(format: "%.2f", w * 1e9) }
        var h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>bmru power: scaling with the state width</title>"
        h += "<style>body{font-family:sans-serif;margin:2em;max-width:900px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>"
        h += "<h1>Power against the state width N</h1>"
        h += "<p>Recipe: \(XML.escape(r.recipe))</p>"
        let cells = r.fits.cells.coefficients, ff = r.fits.feedforward.coefficients
        /// " + 1.23" / " − 1.23" (nW)
        func term(_ w: Double, _ digits: Int = 2) -> String { (w < 0 ? " − " : " + ") + String(format: "%.\(digits)f", abs(w) * 1e9) }
        h += "<p>P<sub>cells</sub> = \(nw(cells[0])) nW·N\(term(cells[1])) nW (R² = \(String(format: "%.4f", r.fits.cells.r2))); "
        h += "P<sub>ff</sub> = \(String(format: "%.4f", ff[0] * 1e9)) nW·N²\(term(ff[1])) nW·N\(term(ff[2])) nW (R² = \(String(format: "%.4f", r.fits.feedforward.r2))). "
        h += "Marginal cost of recurrence: \(nw(r.marginal_cell_w)) nW per cell.</p>"
        h += chart(r)
        h += "<table><tr><th>N</th><th>cells (nW)</th><th>feedforward (nW)</th><th>shared bias (nW)</th><th>total (nW)</th><th>state agreement</th></tr>"
        for p in r.points {
            h += "<tr><td>\(p.width)</td><td>\(nw(p.cells_w))</td><td>\(nw(p.feedforward_w))</td><td>\(nw(p.shared_w))</td><td>\(nw(p.total_w))</td><td>\(String(format: "%.2f %%", p.state_agreement * 100))</td></tr>"
        }
        return h + "</table></body></html>\n"
    }

    /// Both parts against N (dots) with their fits (lines), in nW, the legend inside the chart.
    static func chart(_ r: PowerStudyResult) -> String {
        let maxN = Double(r.points.map(\.width).max() ?? 1)
        let maxP = max(r.points.map { max($0.cells_w, $0.feedforward_w) }.max() ?? 1e-12, 1e-15) * 1.1
        var p = Plot(width: 860, height: 430, x: PlotAxis(0, maxN, title: "state width N", target: 8, integer: true),
                     y: PlotAxis(0, maxP * 1e9, title: "power (nW)", target: 6), title: "power against the state width")
        let series: [(String, String, PowerFit, (PowerPoint) -> Double)] = [
            ("cells", "#e15759", r.fits.cells, { $0.cells_w }),
            ("feedforward", "#4e79a7", r.fits.feedforward, { $0.feedforward_w }),
        ]
        for (name, colour, f, value) in series {
            let curve = (0...60).map { i -> (x: Double, y: Double) in
                let n = maxN * Double(i) / 60
                let v = f.coefficients.enumerated().reduce(0) { $0 + $1.element * pow(n, Double(f.coefficients.count - 1 - $1.offset)) }
                return (n, min(max(v, 0), maxP) * 1e9)
            }
            p.line(curve, stroke: colour, width: 1.5, legend: "\(name) (\(f.model), R² \(String(format: "%.3f", f.r2)))")
            p.dots(r.points.map { (Double($0.width), value($0) * 1e9) }, r: 4, fill: colour)
        }
        return p.svg
    }
}
