import BMRUModel
import CoSim
import Foundation

/// `DIR/summary.json`: the batch's verdict and the distributions per network and condition. Only job results
/// go into it (no wall times, no folder names), so a merged set of shards gives the same bytes as one run.
public struct BatchSummary: Codable, Equatable, Sendable {
    public struct Stats: Codable, Equatable, Sendable {
        public var count: Int
        public var min: Double
        public var p10: Double
        public var median: Double
        public var mean: Double
        public var max: Double

        static func of(_ values: [Double]) -> Stats? {
            let v = values.filter { $0.isFinite }.sorted()
            guard !v.isEmpty else { return nil }
            func q(_ p: Double) -> Double {
                // linear interpolation between closest ranks
                let x = p * Double(v.count - 1)
                let i = Int(x.rounded(.down)), f = x - Double(i)
                return i + 1 < v.count ? v[i] + (v[i + 1] - v[i]) * f : v[i]
            }
            var sum = 0.0
            for x in v { sum += x }
            return Stats(count: v.count, min: v[0], p10: q(0.1), median: q(0.5), mean: sum / Double(v.count), max: v[v.count - 1])
        }
    }

    public struct Group: Codable, Equatable, Sendable {
        public var network: String
        public var network_sha256: String
        public var corner: String
        public var temperature_c: Double
        public var vdd: Double
        /// sha256 of the calibration tables the group's decks were emitted with; nil: nominal sizes
        public var calibration_sha256: String?
        public var jobs: Int
        public var passed: Int
        /// jobs without a report
        public var failed: Int
        /// passed / jobs
        public var yield: Double
        public var mismatch_samples: Int
        /// how the mismatch samples were made and judged: "pdk" (the foundry's draws, against the ideal model) or
        /// "shared" (bmru's draws in the deck and in the circuit-aware model it is judged against); nil: none
        public var mismatch_mode: String? = nil
        public var stimuli: Int
        public var state_agreement: Stats?
        public var decision_agreement: Stats?
        /// fraction of jobs (with a report) whose sequence-level decision agrees
        public var sequence_decision_agreement: Double?
        public var power_w_total: Stats?
        /// input-noise σ of the group's jobs (nil: no noise; absent from the JSON then)
        public var noise_sigma: Double? = nil
        /// noise robustness of the group's jobs with a report (noise groups only)
        public var noise: NoiseStats? = nil
    }

    /// Per noise group: each job's noisy run against the ideal model on the clean stimulus (AgreementReport.noise).
    public struct NoiseStats: Codable, Equatable, Sendable {
        /// distinct noise seeds (draws) in the group
        public var noise_samples: Int
        /// fraction of (frame, unit) states differing, circuit on the noisy input, first / second half of the frames
        public var state_difference_first_half: Stats?
        public var state_difference_second_half: Stats?
        /// the same for the behavioural model on the noisy input
        public var model_state_difference_first_half: Stats?
        public var model_state_difference_second_half: Stats?
        /// jobs whose circuit (model) sequence decision differs from the clean reference's, of `decision_jobs`
        public var decision_changes: Int
        public var model_decision_changes: Int
        /// jobs with a sequence decision (last layer with ≥ 2 outputs)
        public var decision_jobs: Int
    }

    public struct JobLine: Codable, Equatable, Sendable {
        public var id: String
        public var index: Int
        public var network: String
        public var stimulus: String
        public var corner: String
        public var temperature_c: Double
        public var vdd: Double
        public var mismatch_seed: UInt64?
        public var status: String
        public var pass: Bool
        public var state_agreement: Double?
        public var decision_agreement: Double?
        public var power_w_total: Double?
        /// why it failed (the first reason)
        public var reason: String?
        /// relative to the batch folder
        public var report: String
        /// the job's input noise (nil: none)
        public var noise_sigma: Double? = nil
        public var noise_seed: UInt64? = nil
    }

    public var format = "bmru-batch-summary"
    public var version = 1
    public var batch: String
    public var manifest_sha256: String
    public var shard: String?
    public var jobs_expected: Int
    public var jobs_done: Int
    public var jobs_passed: Int
    /// jobs without a report (ngspice error, worker died twice, bad input)
    public var jobs_failed: Int
    public var jobs_missing: Int
    /// ids of missing jobs (first 100)
    public var missing: [String]
    /// every expected job has a result
    public var complete: Bool
    /// passed / done
    public var yield: Double
    public var required_yield: Double
    /// complete and yield ≥ required_yield
    public var pass: Bool
    public var groups: [Group]
    /// failed jobs first, then the lowest agreements (at most 20)
    public var worst: [JobLine]

    public func json() throws -> Data {
        try ReportJSON.encode(self)
    }

    public static func decode(_ data: Data) throws -> BatchSummary {
        try ReportJSON.decode(BatchSummary.self, from: data)
    }

    static func line(_ r: BatchJobResult) -> JobLine {
        let j = r.job
        let reason = r.error.map { "\($0.kind): \($0.message)" } ?? r.report?.failures.first
        return JobLine(id: j.id, index: j.index, network: j.network_name, stimulus: j.stimulus.label, corner: j.corner,
                       temperature_c: j.temperature_c, vdd: j.vdd, mismatch_seed: j.mismatch_seed, status: r.status,
                       pass: r.pass, state_agreement: r.report?.state_agreement, decision_agreement: r.report?.decision_agreement,
                       power_w_total: r.report?.power_w["total"], reason: reason,
                       report: "jobs/\(j.id)/" + (r.status == "ok" ? "report.html" : "error.log"),
                       noise_sigma: j.inputNoise?.sigma, noise_seed: j.inputNoise?.seed)
    }

    static func noiseStats(_ g: [BatchJobResult]) -> NoiseStats {
        let n = g.compactMap { $0.report?.noise }
        let withDecision = n.filter { $0.reference_sequence_decision != nil }
        return NoiseStats(noise_samples: Set(g.compactMap { $0.job.inputNoise?.seed }).count,
                          state_difference_first_half: Stats.of(n.compactMap(\.circuit.state_difference_first_half)),
                          state_difference_second_half: Stats.of(n.compactMap(\.circuit.state_difference_second_half)),
                          model_state_difference_first_half: Stats.of(n.compactMap(\.model.state_difference_first_half)),
                          model_state_difference_second_half: Stats.of(n.compactMap(\.model.state_difference_second_half)),
                          decision_changes: withDecision.filter { $0.circuit.decision_changed == true }.count,
                          model_decision_changes: withDecision.filter { $0.model.decision_changed == true }.count,
                          decision_jobs: withDecision.count)
    }

    /// Summarises results against the expected job ids.
    public static func make(name: String, manifestSHA256: String, shard: String?, requiredYield: Double,
                            expected: [String], results: [BatchJobResult]) -> BatchSummary {
        let expectedSet = Set(expected)
        let rs = results.filter { expectedSet.contains($0.job.id) }.sorted { $0.job.index < $1.job.index }
        let have = Set(rs.map(\.job.id))
        let missing = expected.filter { !have.contains($0) }
        let passed = rs.filter(\.pass).count
        let failed = rs.filter { $0.status != "ok" }.count
        let yield = rs.isEmpty ? 0 : Double(passed) / Double(rs.count)

        struct Key: Hashable { var net: String; var corner: String; var t: Double; var v: Double; var noise: Double? }
        var order: [Key] = []
        var byKey: [Key: [BatchJobResult]] = [:]
        for r in rs {
            let k = Key(net: r.job.network_sha256, corner: r.job.corner, t: r.job.temperature_c, v: r.job.vdd, noise: r.job.inputNoise?.sigma)
            if byKey[k] == nil { order.append(k) }
            byKey[k, default: []].append(r)
        }
        // first appearance in expansion order: network, stimulus, corner, temperature, VDD
        let cornerRank = ["typical": 0, "ff": 1, "ss": 2, "fs": 3, "sf": 4]
        let firstIndex = Dictionary(uniqueKeysWithValues: order.map { ($0, byKey[$0]!.map(\.job.index).min()!) })
        order.sort { a, b in
            if a.net != b.net { return firstIndex[a]! < firstIndex[b]! }
            if a.corner != b.corner { return (cornerRank[a.corner] ?? 9, a.corner) < (cornerRank[b.corner] ?? 9, b.corner) }
            if a.t != b.t { return a.t < b.t }
            if a.v != b.v { return a.v < b.v }
            return (a.noise ?? 0) < (b.noise ?? 0)
        }
        let groups: [Group] = order.map { k in
            let g = byKey[k]!
            let ok = g.compactMap(\.report)
            let seq = ok.compactMap { $0.decision?.sequence_agrees }
            return Group(network: g[0].job.network_name, network_sha256: k.net, corner: k.corner, temperature_c: k.t, vdd: k.v,
                         calibration_sha256: g[0].job.calibration?.sha256,
                         jobs: g.count, passed: g.filter(\.pass).count, failed: g.filter { $0.status != "ok" }.count,
                         yield: Double(g.filter(\.pass).count) / Double(g.count),
                         mismatch_samples: Set(g.compactMap(\.job.mismatch_seed)).count,
                         mismatch_mode: g.contains { $0.job.mismatch_seed != nil }
                             ? (g.contains { $0.job.mismatch_shared == true } ? "shared" : "pdk") : nil,
                         stimuli: Set(g.map(\.job.stimulus.label)).count,
                         state_agreement: Stats.of(ok.map(\.state_agreement)),
                         decision_agreement: Stats.of(ok.map(\.decision_agreement)),
                         sequence_decision_agreement: seq.isEmpty ? nil : Double(seq.filter { $0 }.count) / Double(seq.count),
                         power_w_total: Stats.of(ok.compactMap { $0.power_w["total"] }),
                         noise_sigma: k.noise, noise: k.noise == nil ? nil : noiseStats(g))
        }
        let worst = rs.sorted { a, b in
            func rank(_ r: BatchJobResult) -> (Int, Double, Double, Int) {
                (r.status != "ok" ? 0 : (r.pass ? 2 : 1), r.report?.state_agreement ?? -1, r.report?.decision_agreement ?? -1, r.job.index)
            }
            return rank(a) < rank(b)
        }.prefix(20).map(line)
        let complete = missing.isEmpty
        return BatchSummary(batch: name, manifest_sha256: manifestSHA256, shard: shard, jobs_expected: expected.count,
                            jobs_done: rs.count, jobs_passed: passed, jobs_failed: failed, jobs_missing: missing.count,
                            missing: Array(missing.prefix(100)), complete: complete, yield: yield, required_yield: requiredYield,
                            pass: complete && !rs.isEmpty && yield >= requiredYield, groups: groups, worst: Array(worst))
    }
}
