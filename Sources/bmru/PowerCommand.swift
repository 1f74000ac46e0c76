import ArgumentParser
import BMRUModel
import Batch
import CoSim
import Foundation

struct PowerCmd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "power",
        abstract: "Power against the state width: simulate networks of growing width, split and fit their power.",
        discussion: """
        bmru power --widths 4,8,16,32,64 --out DIR [--frames F] [--seed S] [--jobs N] [--resume]

        Writes DIR/inputs/ (--samples networks per width, from one seeded recipe, see power.json's `recipe`), \
        DIR/power-batch.json and DIR/batch/ (a batch: one co-simulation per network, on worker processes, with \
        progress on stderr), then DIR/power.json (points: width, cells_w, feedforward_w, shared_w, total_w; fits: \
        cells linear, feedforward quadratic, with R²) and DIR/power.html (the plot). Cells are the comparators, \
        level copies and the cells' references; feedforward the mirrors and the candidate matrix. An interrupted \
        study continues with --resume (finished widths are kept). Exit status: 0 when every width has a result, \
        1 when a simulation failed, 2 for invalid input, 130 when interrupted.
        """)

    @Option(help: "State widths N, comma separated (at least 3, each 1...256).") var widths: String
    @Option(name: .output(), help: "The study folder.") var out: String
    @Option(help: "Frames of the shared random stimulus.") var frames: Int = 20
    @Option(help: "Networks per width (draws of the recipe); each point is their mean.") var samples: Int = 3
    @Option(help: "Seed of the networks and the stimulus.") var seed: UInt64 = 1
    @Option(help: "Unit current of the networks, A.") var unitCurrent: Double = 1e-9
    @Option(name: .customLong("jobs"), help: "Worker processes (default: the number of cores).") var workers: Int?
    @Flag(help: "Continue a study folder: finished widths are kept, never recomputed.") var resume = false
    @Option(help: "Folder with design.ngspice and sm141064.ngspice (default: $BMRU_MODELS or models/gf180mcu).")
    var models: String?

    func options() throws -> PowerStudyOptions {
        let parts = widths.split(separator: ",", omittingEmptySubsequences: false)
        let list = try parts.map { p -> Int in
            guard let n = Int(p.trimmingCharacters(in: .whitespaces)), (1...256).contains(n) else {
                throw UsageFailure("--widths \(widths): '\(p)' is not a width in 1...256")
            }
            return n
        }
        guard Set(list).count == list.count, list.count >= 3 else {
            throw UsageFailure("--widths \(widths): give at least 3 different widths (the feedforward fit has 3 coefficients)")
        }
        guard (1...10_000).contains(frames) else { throw UsageFailure("--frames: must be in 1...10000") }
        guard (1...100).contains(samples) else { throw UsageFailure("--samples: must be in 1...100") }
        guard unitCurrent.isFinite, unitCurrent >= 1e-11, unitCurrent <= 1e-6 else {
            throw UsageFailure("--unit-current: must be in [1e-11, 1e-6] A")
        }
        var o = PowerStudyOptions(widths: list.sorted())
        o.frames = frames
        o.samples = samples
        o.seed = seed
        o.unitCurrent = unitCurrent
        return o
    }

    func run() throws {
        let result: PowerStudyResult? = try CLI.guarded { () throws -> PowerStudyResult? in
            let o = try options()
            let n = workers ?? ProcessInfo.processInfo.activeProcessorCount
            guard n >= 1, n <= 1024 else { throw UsageFailure("--jobs: must be in 1...1024") }
            let modelsDir = ModelFiles.directory(option: models)
            try ModelFiles.require(modelsDir)
            let dir = ModelFiles.absolute(out)
            let optionsText = "widths \(o.widths.map(String.init).joined(separator: ",")) frames \(o.frames) samples \(o.samples) seed \(o.seed) unit_current \(o.unitCurrent)\n"
            try StudyFolder.open(dir, command: "power", files: ["inputs", "power-batch.json", "batch", "power.json", "power.html"],
                                 optionsFile: "power-options.json", options: optionsText, resume: resume)
            let manifest = try PowerStudy.prepare(o, in: dir)
            var options = BatchRunOptions(out: dir + "/batch", workers: n, modelsDirectory: modelsDir)
            options.resume = resume || FileManager.default.fileExists(atPath: dir + "/batch")
            options.calibrationDirectory = CalibrationFiles.defaultDirectory()
            let batch = BatchRun(manifest: try BatchManifest.load(path: manifest), options: options)
            let signals = SignalTrap { sig in
                CLI.stderr("power: \(sig == SIGINT ? "interrupted" : "terminated"); stopping workers (finished widths are kept; continue with --resume)")
                batch.abort()
            }
            defer { signals.cancel() }
            let printer = ProgressPrinter()
            let outcome = try batch.run(onStart: { selected, todo in
                CLI.stderr("power: \(selected) networks, \(selected - todo) already done, \(todo) to simulate on \(min(n, max(todo, 1))) worker(s)")
            }, onWarning: { CLI.stderr("power: warning: \($0)") }, onProgress: { printer.show($0) })
            if outcome.aborted { throw ExitCode(130) }
            var byWidth: [Int: [(sample: Int, job: String, report: AgreementReport)]] = [:], missing: [String] = []
            let jobs = dir + "/batch/jobs"
            for id in ((try? FileManager.default.contentsOfDirectory(atPath: jobs)) ?? []).sorted() where !id.hasPrefix(".") {
                let r = try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: jobs + "/" + id + "/result.json")))
                guard let (width, sample) = PowerStudy.parse(name: r.job.network_name) else { continue }
                guard let report = r.report else { missing.append("N = \(width) sample \(sample): \(r.error?.message ?? "no report")"); continue }
                byWidth[width, default: []].append((sample, id, report))
            }
            let points = try byWidth.keys.sorted().map { w in
                try PowerStudy.point(width: w, samples: byWidth[w]!.sorted { $0.sample < $1.sample }.map { ($0.job, $0.report) })
            }
            guard missing.isEmpty else {
                CLI.stderr("power: no result for " + missing.joined(separator: "; "))
                return nil
            }
            let result = PowerStudy.result(points)
            try AtomicWrite.writeTogether([(dir + "/power.json", try result.json()),
                                          (dir + "/power.html", Data(PowerStudyPage.html(result).utf8))])
            return result
        }
        guard let r = result else { throw ExitCode(1) }
        print("| N | cells (nW) | feedforward (nW) | shared bias (nW) | total (nW) |\n|---|---|---|---|---|")
        for p in r.points {
            print(String(format: "| %d | %.2f | %.2f | %.2f | %.2f |", p.width, p.cells_w * 1e9, p.feedforward_w * 1e9, p.shared_w * 1e9, p.total_w * 1e9))
        }
        let c = r.fits.cells.coefficients, f = r.fits.feedforward.coefficients
        print(String(format: "cells: %.3f nW/cell · N %+.3f nW (R² %.4f); feedforward: %.4f nW · N² %+.3f nW · N %+.3f nW (R² %.4f)",
                     c[0] * 1e9, c[1] * 1e9, r.fits.cells.r2, f[0] * 1e9, f[1] * 1e9, f[2] * 1e9, r.fits.feedforward.r2))
        print("power: \(ModelFiles.absolute(out))/power.html (power.json beside it)")
    }
}
