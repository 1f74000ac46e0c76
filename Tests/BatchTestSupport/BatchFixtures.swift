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
}
