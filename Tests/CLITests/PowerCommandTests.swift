// `bmru power`: the scaling study on small widths: its points against the jobs' own reports, its fits against
// independent least-squares checks, --resume recomputing nothing, and the refusals (exit 2).
import Batch
import CoSim
import Foundation
import TestSupport
import Testing

@Suite("bmru power (real ngspice)", .serialized)
struct PowerCommandTests {
    @Test("points add up and match the jobs' reports; the fits are least squares; --resume reruns nothing")
    func study() throws {
        let dir = try TestEnvironment.temporaryDirectory("power") + "/study"
        let args = ["power", "--widths", "5,2,3,4", "--frames", "3", "--samples", "2", "--out", dir, "--jobs", "2"]
        let r = try BMRU.run(args, models: true)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("8 networks, 0 already done, 8 to simulate"), "\(r.stderr)")
        let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/power.json"))
        let study = try PowerStudyResult.decode(json)
        #expect(study.points.map(\.width) == [2, 3, 4, 5])
        for p in study.points {
            #expect(abs(p.cells_w + p.feedforward_w + p.shared_w - p.total_w) <= 1e-9 * p.total_w, "N = \(p.width)")
            #expect(p.cells_w > 0 && p.feedforward_w > p.cells_w, "N = \(p.width): \(p)")
            // the jobs' own reports (a second reading of the same runs): the point's total is their mean
            #expect(p.jobs.count == 2)
            var sum = 0.0
            for (k, job) in p.jobs.enumerated() {
                let report = try AgreementReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/batch/jobs/\(job)/report.json")))
                #expect(report.network.name == "power-w\(p.width)-s\(k)")
                sum += report.power_w["total"] ?? .nan
            }
            #expect(abs(sum / 2 - p.total_w) <= 1e-12 * p.total_w)
        }
        // the linear fit against the closed form slope = cov(N, P) / var(N), R² = 1 − SS_res / SS_tot
        let x: [Double] = study.points.map { Double($0.width) }, y: [Double] = study.points.map(\.cells_w)
        let mx = x.reduce(0, +) / 4, my = y.reduce(0, +) / 4
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
        let slope = sxy / sxx
        let intercept = my - slope * mx
        var ssRes = 0.0, ssTot = 0.0
        for (a, b) in zip(x, y) {
            let e = b - slope * a - intercept
            ssRes += e * e
            ssTot += (b - my) * (b - my)
        }
        let cells = study.fits.cells
        #expect(cells.model == "linear" && cells.coefficients.count == 2)
        #expect(abs(cells.coefficients[0] - slope) <= 1e-9 * abs(slope))
        #expect(abs(cells.coefficients[1] - intercept) <= 1e-9 * max(abs(intercept), abs(my)))
        #expect(abs(cells.r2 - (1 - ssRes / ssTot)) < 1e-9)
        #expect(study.marginal_cell_w == cells.coefficients[0])
        // the quadratic fit: its residuals are orthogonal to 1, N and N² (what least squares means)
        let f = study.fits.feedforward
        #expect(f.model == "quadratic" && f.coefficients.count == 3)
        let yf: [Double] = study.points.map(\.feedforward_w)
        let c = f.coefficients
        for k in 0...2 {
            var dot = 0.0, scale = 0.0
            for (a, b) in zip(x, yf) {
                let residual = b - (c[0] * a * a + c[1] * a + c[2])
                dot += pow(a, Double(k)) * residual
                scale += pow(a, Double(k)) * abs(b)
            }
            #expect(abs(dot) < 1e-9 * scale, "residuals · N^\(k) = \(dot)")
        }
        let html = try String(contentsOfFile: dir + "/power.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("state width N") && html.contains("R² \(String(format: "%.3f", f.r2))"))

        // --resume: nothing is simulated again and power.json is the same, byte for byte
        let again = try BMRU.run(args + ["--resume"], models: true)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("8 already done, 0 to simulate"), "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/power.json")) == json)

        // refusals: the folder without --resume, --resume with other options
        let plain = try BMRU.run(args, models: true)
        #expect(plain.status == 2 && plain.stderr.contains(dir) && plain.stderr.contains("--resume"), "\(plain.stderr)")
        let other = try BMRU.run(args + ["--resume", "--seed", "2"], models: true)
        #expect(other.status == 2 && other.stderr.contains("other options"), "\(other.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/power.json")) == json)
    }

    @Test("widths that cannot be fitted are refused with exit 2 and nothing written")
    func badWidths() throws {
        let dir = try TestEnvironment.temporaryDirectory("power-bad")
        for w in ["2,2,3", "2,3", "0,2,3", "2,x,3", "2,3,300"] {
            let r = try BMRU.run(["power", "--widths", w, "--out", dir + "/s"], models: true)
            #expect(r.status == 2 && r.stderr.contains("--widths"), "\(w): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/s"))
    }
}
