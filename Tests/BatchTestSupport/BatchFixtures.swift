import Batch
import Foundation
import TestSupport

/// Manifests written by the tests, pointing at the shipped tiny example network.
public enum BatchFixtures {
    public static var tinyNetwork: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.json").path }
    public static var tinyStimulus: String { TestEnvironment.packageRoot.appendingPathComponent("examples/tiny.csv").path }

    /// the checkout's default calibration tables (models/calibration), which `bmru batch` uses
    public static var defaultCalibrationDirectory: String {
        TestEnvironment.packageRoot.appendingPathComponent("models/calibration").path
    }

    /// The jobs `bmru batch MANIFEST` runs: the real models and the default calibration tables of the checkout.
    public static func cliJobs(_ manifest: String) throws -> [BatchJob] {
        let m = try BatchManifest.load(path: manifest)
        let models = try TestEnvironment.modelsDirectory()
        let tables = try m.calibrations(modelsDirectory: models, defaultDirectory: defaultCalibrationDirectory)
        return try m.jobs(modelsDirectory: models, calibrations: tables.tables)
    }

    public static func write(_ json: String, in dir: String, name: String = "batch.json") throws -> String {
        let path = dir + "/" + name
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    public static func manifest(corners: String = "[\"typical\", \"ff\"]", extra: String = "") -> String {
        """
        {"format": "bmru-batch", "version": 1, "name": "t",
         "networks": ["\(tinyNetwork)"],
         "stimuli": ["\(tinyStimulus)", {"random": {"frames": 5, "seed": 3, "density": 0.2}}],
         "corners": \(corners), "temperatures": [27, 60],
         "mismatch": {"samples": 2, "seed": 40, "nominal": true}\(extra)}
        """
    }

    /// A manifest of the tiny network and one random stimulus (`frames`, `seed`) over `corners`, written into `dir`;
    /// `extra`: more keys, e.g. `"timeout_s": 8`.
    public static func randomStimulus(name: String, frames: Int, seed: Int, corners: [String], extra: String = "",
                                      in dir: String) throws -> String {
        try write("""
            {"format": "bmru-batch", "version": 1, "name": "\(name)", "networks": ["\(tinyNetwork)"],
             "stimuli": [{"random": {"frames": \(frames), "seed": \(seed)}}],
             "corners": [\(corners.map { "\"\($0)\"" }.joined(separator: ", "))]\(extra.isEmpty ? "" : ", " + extra)}
            """, in: dir)
    }

    /// 6 small jobs: tiny network × 1 random stimulus (4 frames) × typical/ff × nominal + 2 mismatch samples.
    public static func sixJobs(in dir: String) throws -> String {
        try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "name": "six",
             "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 4, "seed": 9, "density": 0.25}}],
             "corners": ["typical", "ff"],
             "mismatch": {"samples": 2, "seed": 700, "nominal": true},
             "required_yield": 0.5}
            """, in: dir, name: "six.json")
    }

    /// the names in a batch's jobs folder, sorted (temporary folders start with ".")
    public static func entries(_ jobsDir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: jobsDir)) ?? []).sorted()
    }

    /// the jobs of a jobs folder that have a result
    public static func finished(_ jobsDir: String) -> [String] {
        entries(jobsDir).filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: jobsDir + "/" + $0 + "/result.json") }
    }

    public static func result(_ jobsDir: String, _ id: String) throws -> BatchJobResult {
        try BatchJobResult.decode(try Data(contentsOf: URL(fileURLWithPath: jobsDir + "/" + id + "/result.json")))
    }

    /// the files of a job folder with a report
    public static let jobFiles = ["deck.mapping.json", "deck.sp", "junit.xml", "report.html", "report.json", "report.md", "result.json", "waveforms.csv"]
}
