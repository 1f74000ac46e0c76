import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import Netlist
import TestSupport
import Testing

/// YAML manifests, strict JSON, and what goes into a job's id besides the manifest (calibration, models, circuit).
@Suite("Batch manifest forms and job identity")
struct BatchManifestFormsTests {
    /// The fixture manifest of BatchManifestTests written by hand as YAML (block and flow styles mixed).
    static var yaml: String {
        """
        # the same batch as BatchFixtures.manifest()
        format: bmru-batch
        version: 1
        name: t
        networks:
          - \(BatchFixtures.tinyNetwork)
        stimuli:
          - "\(BatchFixtures.tinyStimulus)"
          - random: {frames: 5, seed: 3, density: 0.2}
        corners: [typical, ff]
        temperatures: [27, 60]
        mismatch:
          samples: 2
          seed: 40
          nominal: true
        """
    }

    @Test("a YAML manifest expands to exactly the jobs of the same JSON manifest")
    func yamlEqualsJSON() throws {
        let dir = try TestEnvironment.temporaryDirectory("yaml")
        let json = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir))
        let yaml = try BatchManifest.load(path: try BatchFixtures.write(Self.yaml, in: dir, name: "batch.yaml"))
        let a = try json.jobs(modelsDirectory: "/m"), b = try yaml.jobs(modelsDirectory: "/m")
        #expect(a.count == 24)
        #expect(a == b)
        #expect(yaml.name == "t" && yaml.mismatch?.seed == 40 && yaml.stimuli[1].density == 0.2)
        // the shipped examples: the YAML one is the JSON one
        let ex = TestEnvironment.packageRoot.appendingPathComponent("examples").path
        let exJSON = try BatchManifest.load(path: ex + "/batch.json"), exYAML = try BatchManifest.load(path: ex + "/batch.yaml")
        #expect(try exJSON.jobs(modelsDirectory: "/m").count == 60)
        #expect(try exJSON.jobs(modelsDirectory: "/m") == exYAML.jobs(modelsDirectory: "/m"))
        #expect(exYAML.calibration == exJSON.calibration && exYAML.requiredYield == 0.5)
    }

    @Test("bad YAML and JSON manifests: duplicate keys, quoted numbers, syntax — errors name the place")
    func invalidForms() throws {
        let dir = try TestEnvironment.temporaryDirectory("yamlbad")
        func error(_ text: String, _ name: String) -> BatchError? {
            do {
                _ = try BatchManifest.load(path: try BatchFixtures.write(text, in: dir, name: name))
                return nil
            } catch let e as BatchError {
                return e
            } catch {
                return nil
            }
        }
        // duplicate keys: JSONDecoder alone would keep one of them silently
        let dupJSON = error("{\"format\": \"bmru-batch\",\n \"version\": 1,\n \"version\": 1}", "dup.json")
        #expect(dupJSON?.description.contains("duplicate key \"version\"") == true)
        #expect(dupJSON?.description.contains("line 3") == true)
        let dupYAML = error(Self.yaml + "\ncorners: [ss]\n", "dup.yaml")
        #expect(dupYAML?.description.contains("corners") == true)
        #expect(dupYAML?.description.contains("duplicate") == true, "\(String(describing: dupYAML))")
        let dupNested = error(Self.yaml.replacingOccurrences(of: "  seed: 40\n", with: "  seed: 40\n  seed: 41\n"), "dupnested.yaml")
        #expect(dupNested?.description.contains("seed") == true && dupNested?.description.contains("duplicate") == true,
                "\(String(describing: dupNested))")
        // a quoted number is a string in YAML, and the manifest's types are exact
        let quoted = error(Self.yaml.replacingOccurrences(of: "temperatures: [27, 60]", with: "temperatures: ['27', 60]"), "q.yml")
        #expect(quoted?.field == "temperatures[0]")
        // an unknown key, as in JSON
        #expect(error(Self.yaml + "\ncorner: [ss]\n", "unknown.yaml")?.field == "corner")
        // not YAML at all
        #expect(error("format: [bmru-batch\n", "syntax.yaml")?.field == "")
        #expect(error("", "empty.yaml")?.description.contains("empty") == true)
        // aliases are refused rather than expanded
        #expect(error(Self.yaml.replacingOccurrences(of: "corners: [typical, ff]", with: "corners: &c [typical, ff]\ncomment: *c"),
                      "alias.yaml") != nil)
    }

    @Test("integers are exact up to 2^53 − 1 in JSON and YAML; a longer one (which a JSON number rounds) is refused")
    func exactIntegers() throws {
        let dir = try TestEnvironment.temporaryDirectory("integers")
        let largest = BatchManifest.maxNoiseSeed  // 2^53 − 1
        func load(seed: String, _ name: String) throws -> BatchManifest {
            let text = name.hasSuffix(".yaml") ? Self.yaml + "\nnoise: {sigma: [0.1], samples: 1, seed: \(seed)}\n"
                                               : BatchFixtures.manifest(extra: ", \"noise\": {\"sigma\": [0.1], \"samples\": 1, \"seed\": \(seed)}")
            return try BatchManifest.load(path: try BatchFixtures.write(text, in: dir, name: name))
        }
        for ext in ["json", "yaml"] {
            #expect(try load(seed: "\(largest)", "max.\(ext)").noise?.seed == largest)
            // 2^53 + 1 reads as the double 2^53: refused, not taken as another seed
            do {
                let m = try load(seed: "9007199254740993", "over.\(ext)")
                Issue.record("\(ext): seed 2^53 + 1 accepted as \(String(describing: m.noise?.seed))")
            } catch let e as BatchError {
                #expect(e.field == "noise.seed", "\(ext): \(e)")
            }
            // a whole number written with a fraction is an integer; a fraction is not
            #expect(try load(seed: "7.0", "whole.\(ext)").noise?.seed == 7)
            #expect(throws: BatchError.self) { try load(seed: "7.5", "frac.\(ext)") }
        }
    }

    @Test("calibration tables, model files and the cell library are part of a job's id")
    func identity() throws {
        let dir = try TestEnvironment.temporaryDirectory("identity")
        let models = try TestEnvironment.modelsDirectory()
        let tablesDir = TestEnvironment.packageRoot.appendingPathComponent("models/calibration").path
        let m = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir))

        // the default tables: one per corner, with the sha256 of the file's bytes
        let (tables, warnings) = try m.calibrations(modelsDirectory: models, defaultDirectory: tablesDir)
        #expect(warnings.isEmpty)
        #expect(Set(tables.keys) == [.typical, .ff])
        for (corner, t) in tables {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tablesDir + "/\(corner.rawValue).json"))
            #expect(t.sha256 == SHA256.hex(bytes))
        }
        let calibrated = try m.jobs(modelsDirectory: models, calibrations: tables)
        let nominal = try m.jobs(modelsDirectory: models)
        // each job: the table of its corner nearest its temperature (CalibrationTables), by name
        for j in calibrated {
            let c = Corner(rawValue: j.corner)!
            let want = CalibrationTables.fileName(corner: c, temperature:
                CalibrationTables.available(in: tablesDir, corner: c).map(\.temperature).min { abs($0 - j.temperature_c) < abs($1 - j.temperature_c) }!)
            #expect(j.calibration?.path.hasSuffix("/" + want) == true, "\(j.corner) \(j.temperature_c) °C: \(j.calibration?.path ?? "none")")
        }
        #expect(calibrated.contains { $0.calibration?.path.hasSuffix("/\($0.corner).json") == true })
        // a cold temperature takes the corner's −20 °C table (shipped), with its own sha256 and so its own job id
        let cold = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest().replacingOccurrences(of: "[27, 60]", with: "[-20, 27]"),
                                                                        in: dir, name: "cold.json"))
        let coldJobs = try cold.jobs(modelsDirectory: models, calibrations: try cold.calibrations(modelsDirectory: models, defaultDirectory: tablesDir).tables)
        for j in coldJobs {
            let name = j.temperature_c == -20 ? "/\(j.corner)-minus20C.json" : "/\(j.corner).json"
            #expect(j.calibration?.path.hasSuffix(name) == true, "\(j.corner) \(j.temperature_c): \(j.calibration?.path ?? "none")")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: j.calibration!.path))
            #expect(j.calibration?.sha256 == SHA256.hex(bytes))
        }
        #expect(Set(calibrated.map(\.id)).isDisjoint(with: Set(nominal.map(\.id))))
        #expect(calibrated.allSatisfy { $0.cell_library_sha256 == CalibrationFile.currentCellLibrarySHA256 })

        // model files: the ids follow their content, not the folder's path
        let copyA = dir + "/modelsA", copyB = dir + "/modelsB"
        for copy in [copyA, copyB] {
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try "* design\n".write(toFile: copy + "/design.ngspice", atomically: true, encoding: .utf8)
            try "* models\n".write(toFile: copy + "/sm141064.ngspice", atomically: true, encoding: .utf8)
        }
        #expect(try m.jobs(modelsDirectory: copyA).map(\.id) == m.jobs(modelsDirectory: copyB).map(\.id))
        try "* models, edited\n".write(toFile: copyB + "/sm141064.ngspice", atomically: true, encoding: .utf8)
        #expect(Set(try m.jobs(modelsDirectory: copyA).map(\.id)).isDisjoint(with: Set(try m.jobs(modelsDirectory: copyB).map(\.id))))
        #expect(try m.jobs(modelsDirectory: models).map(\.id) != m.jobs(modelsDirectory: copyA).map(\.id))
    }

    @Test("the calibration key: none, a folder that must hold valid tables, the default falling back with warnings")
    func calibrationKey() throws {
        let dir = try TestEnvironment.temporaryDirectory("calkey")
        let models = try TestEnvironment.modelsDirectory()
        let tablesDir = TestEnvironment.packageRoot.appendingPathComponent("models/calibration").path
        func manifest(_ extra: String, name: String) throws -> BatchManifest {
            try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(extra: extra), in: dir, name: name))
        }
        let none = try manifest(", \"calibration\": \"none\"", name: "none.json")
        #expect(try none.calibrations(modelsDirectory: models, defaultDirectory: tablesDir).tables.isEmpty)

        // a folder with typical only, while the manifest also runs ff: refused, naming the key
        let partial = dir + "/tables"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tablesDir + "/typical.json", toPath: partial + "/typical.json")
        let folder = try manifest(", \"calibration\": \"tables\"", name: "folder.json")
        do {
            _ = try folder.calibrations(modelsDirectory: models, defaultDirectory: tablesDir)
            Issue.record("a folder without ff.json was accepted")
        } catch let e as BatchError {
            #expect(e.field == "calibration" && e.description.contains("ff.json"))
        }
        // a table made for another corner is refused
        try FileManager.default.copyItem(atPath: tablesDir + "/typical.json", toPath: partial + "/ff.json")
        do {
            _ = try folder.calibrations(modelsDirectory: models, defaultDirectory: tablesDir)
            Issue.record("typical tables were accepted as ff.json")
        } catch let e as BatchError {
            #expect(e.field == "calibration")
        }
        // a folder that does not exist is a manifest error at once
        #expect(throws: BatchError.self) { try manifest(", \"calibration\": \"nowhere\"", name: "nowhere.json") }

        // the default: without a default folder every corner runs uncalibrated, each with a warning
        let auto = try manifest("", name: "auto.json")
        let (t, w) = try auto.calibrations(modelsDirectory: models, defaultDirectory: nil)
        #expect(t.isEmpty && w.count == 2)
        let (t2, w2) = try auto.calibrations(modelsDirectory: models, defaultDirectory: partial)
        #expect(Set(t2.keys) == [.typical] && w2.count == 1 && w2[0].contains("ff"))
    }
}
