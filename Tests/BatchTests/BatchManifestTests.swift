import BMRUModel
import Batch
import BatchTestSupport
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("Batch manifest")
struct BatchManifestTests {
    @Test("expansion is the cross product, in a fixed order, with content-derived ids")
    func expansion() throws {
        let dir = try TestEnvironment.temporaryDirectory("manifest")
        let m = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir))
        let jobs = try m.jobs(modelsDirectory: "/models")
        // 1 network × 2 stimuli × 2 corners × 2 temperatures × (nominal + 2 samples)
        #expect(jobs.count == 24)
        #expect(jobs.map(\.index) == Array(0..<24))
        #expect(Set(jobs.map(\.id)).count == 24)
        #expect(jobs.allSatisfy { $0.id.count == 16 && $0.id.allSatisfy(\.isHexDigit) })
        #expect(jobs[0].mismatch_seed == nil && jobs[1].mismatch_seed == 40 && jobs[2].mismatch_seed == 41)
        #expect(jobs[0].corner == "typical" && jobs[6].corner == "ff" && jobs[3].temperature_c == 60)

        // the same manifest again, from another folder and with other models: the same ids
        let dir2 = try TestEnvironment.temporaryDirectory("manifest2")
        let again = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir2, name: "other.json"))
        #expect(try again.jobs(modelsDirectory: "/elsewhere").map(\.id) == jobs.map(\.id))

        // reordering the corners moves jobs (indices) but keeps each job's id
        let swapped = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(corners: "[\"ff\", \"typical\"]"), in: dir, name: "swapped.json"))
        let swappedJobs = try swapped.jobs(modelsDirectory: "/models")
        #expect(Set(swappedJobs.map(\.id)) == Set(jobs.map(\.id)))
        #expect(swappedJobs[0].id == jobs[6].id)

        // different thresholds are different jobs
        let strict = try BatchManifest.load(path: try BatchFixtures.write(
            BatchFixtures.manifest(extra: ", \"thresholds\": {\"required_state_agreement\": 0.9}"), in: dir, name: "strict.json"))
        #expect(Set(try strict.jobs(modelsDirectory: "/models").map(\.id)).isDisjoint(with: Set(jobs.map(\.id))))
    }

    @Test("shards partition the jobs")
    func shards() throws {
        let dir = try TestEnvironment.temporaryDirectory("shards")
        let jobs = try BatchManifest.load(path: try BatchFixtures.write(BatchFixtures.manifest(), in: dir)).jobs(modelsDirectory: "/m")
        let three = (0..<3).map { i in jobs.filter(BatchShard(index: i, count: 3).contains).map(\.id) }
        #expect(three.map(\.count) == [8, 8, 8])
        #expect(Set(three.flatMap { $0 }) == Set(jobs.map(\.id)))
        #expect(BatchShard.parse("1/4") == BatchShard(index: 1, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3"] { #expect(BatchShard.parse(bad) == nil, "\(bad)") }
    }

    @Test("invalid manifests name the key")
    func invalid() throws {
        let dir = try TestEnvironment.temporaryDirectory("invalid")
        func field(_ json: String) -> String? {
            do {
                _ = try BatchManifest.load(path: try BatchFixtures.write(json, in: dir, name: "bad.json"))
                return nil
            } catch let e as BatchError {
                return e.field
            } catch {
                return "unexpected \(error)"
            }
        }
        let net = BatchFixtures.tinyNetwork, stim = BatchFixtures.tinyStimulus
        let head = "\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"\(net)\"], \"stimuli\": [\"\(stim)\"]"
        #expect(field("{\(head), \"corner\": [\"ff\"]}") == "corner")
        #expect(field("{\(head), \"corners\": [\"typical\", \"tt\"]}") == "corners[1]")
        #expect(field("{\(head), \"corners\": [\"ff\", \"ff\"]}") == "corners[1]")
        #expect(field("{\(head), \"temperatures\": [27, \"hot\"]}") == "temperatures[1]")
        #expect(field("{\(head), \"vdds\": [9]}") == "vdds[0]")
        #expect(field("{\(head), \"mismatch\": {\"samples\": 2, \"seed\": 0}}") == "mismatch.seed")
        #expect(field("{\(head), \"mismatch\": {\"samples\": 2, \"seed\": 2147483647}}") == "mismatch.seed")
        #expect(field("{\(head), \"mismatch\": {\"samples\": 0, \"seed\": 5}}") == "mismatch.samples")
        #expect(field("{\(head), \"mismatch\": {\"samples\": 2, \"seed\": 5, \"nomnal\": true}}") == "mismatch.nomnal")
        #expect(field("{\(head), \"thresholds\": {\"margin\": -1}}") == "thresholds.margin")
        #expect(field("{\(head), \"required_yield\": 1.5}") == "required_yield")
        #expect(field("{\"format\": \"bmru-batch\", \"version\": 2}") == "version")
        #expect(field("{\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"\(dir)/nope.json\"], \"stimuli\": [\"\(stim)\"]}") == "networks[0]")
        #expect(field("{\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"\(net)\"], \"stimuli\": [{\"random\": {\"frames\": 0, \"seed\": 1}}]}") == "stimuli[0].random.frames")
        // a stimulus with the wrong number of columns for the network
        try "a,b,c\n1,2,3\n".write(toFile: dir + "/three.csv", atomically: true, encoding: .utf8)
        #expect(field("{\"format\": \"bmru-batch\", \"version\": 1, \"networks\": [\"\(net)\"], \"stimuli\": [\"three.csv\"]}") == "stimuli[0]")
        #expect(field("not json") == "")
    }

    @Test("a manifest above the job limit needs allowLarge")
    func large() throws {
        let dir = try TestEnvironment.temporaryDirectory("large")
        let m = try BatchManifest.load(path: try BatchFixtures.write("""
            {"format": "bmru-batch", "version": 1, "networks": ["\(BatchFixtures.tinyNetwork)"],
             "stimuli": [{"random": {"frames": 3, "seed": 1}}], "corners": ["typical", "ff", "ss", "fs", "sf"],
             "mismatch": {"samples": 2001, "seed": 1}}
            """, in: dir))
        #expect(m.jobCount == 10_005)
        #expect(throws: BatchError.self) { try m.jobs(modelsDirectory: "/m") }
        do {
            _ = try m.jobs(modelsDirectory: "/m")
        } catch let e as BatchError {
            #expect(e.kind == .tooLarge && e.description.contains("--allow-large"))
        }
        #expect(try m.jobs(modelsDirectory: "/m", allowLarge: true).count == 10_005)
    }
}
