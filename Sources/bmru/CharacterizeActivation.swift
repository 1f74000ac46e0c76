import ArgumentParser
import BMRUModel
import Characterization
import Foundation
import Netlist
import Ngspice

struct CharacterizeActivation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activation",
        abstract: "Ramp-ADC activation of a resistive-crossbar column on the GF180MCU models: simulated codes against f(x).",
        discussion: """
        A weight-1 crossbar column integrates each input, a programmed memristor ramp column steps through the \
        thresholds f⁻¹(level mid-points), a GF180MCU comparator compares the two and a gated-current counter \
        counts the clock periods: the count is f(x) quantised to --bits bits. --points inputs, evenly spaced over \
        --range (ends included), are converted one after another in one transient simulation.

        --function is tanh, sigmoid, relu, identity or a CSV file of x,y lines (header optional; x strictly \
        increasing, y non-decreasing). Default ranges: tanh -3,3; sigmoid -6,6; relu -1,3; identity -1,1; a table \
        its first to last x.

        Exit status: 0 when every point is within 1 LSB of f(x), 1 when not, 2 on bad input or a failed simulation.
        """)

    @Option(help: ArgumentHelp("tanh, sigmoid, relu, identity, or a table CSV file (x,y lines).", valueName: "NAME|FILE.csv"))
    var function: String
    @Option(help: "Output bits B (2^B levels, 2^B − 1 ramp steps), 1...10.") var bits: Int = 5
    @Option(help: ArgumentHelp("Input range LO,HI (default per function, see above).", valueName: "LO,HI")) var range: String?
    @Option(help: "Inputs to convert, evenly over the range, 2...1000.") var points: Int = 65
    @Option(help: "Round every memristor to one of this many conductance levels between g_min and g_max (default: continuous).")
    var levels: Int?
    @Option(help: "Process corner: typical, ff, ss, fs, sf.") var corner: Corner = .typical
    @Option(help: "Temperature, °C.") var temp: Double = 27
    @Option(help: "Folder with design.ngspice and sm141064.ngspice.") var models: String?
    @Option(help: "Wall-clock limit for the simulation, seconds.") var timeout: Double = 300
    @Option(name: .output(alias: "json"), help: ArgumentHelp("Also write the report as JSON here.", valueName: "FILE.json")) var json: String?

    @Option(help: ArgumentHelp("Also write the bench deck here (runs alone with `ngspice -b`).", valueName: "FILE.sp")) var deck: String?

    static func defaultRange(_ f: ActivationFunction) -> ClosedRange<Double> {
        switch f {
        case .tanh: return -3...3
        case .sigmoid: return -6...6
        case .relu: return -1...3
        case .identity: return -1...1
        case let .table(x, _): return x[0]...x[x.count - 1]
        }
    }

    func parsedRange() throws -> ClosedRange<Double>? {
        guard let range else { return nil }
        let parts = range.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]), lo.isFinite, hi.isFinite, lo < hi else {
            throw UsageFailure("--range: must be LO,HI with finite numbers LO < HI (is '\(String(range.prefix(60)))')")
        }
        return lo...hi
    }

    func run() throws {
        let pass: Bool = try CLI.guarded {
            guard (2...1000).contains(points) else { throw UsageFailure("--points must be in 2...1000") }
            guard timeout > 0, timeout.isFinite else { throw UsageFailure("--timeout: must be a finite number of seconds > 0") }
            guard temp >= -60, temp <= 200 else { throw UsageFailure("--temp must be in [-60, 200] °C") }
            let f: ActivationFunction
            if let named = ActivationFunction(name: function) { f = named } else {
                guard function.lowercased().hasSuffix(".csv") || FileManager.default.fileExists(atPath: function) else {
                    throw UsageFailure("--function: '\(String(function.prefix(60)))' is neither \(ActivationFunction.names.joined(separator: ", ")) nor a table .csv file")
                }
                let text = try CLI.readText(function, what: "activation table")
                f = try ActivationTable.parse(text, file: function)
            }
            let r = try parsedRange() ?? Self.defaultRange(f)
            let dir = ModelFiles.directory(option: models)
            try ModelFiles.require(dir)
            if let json { try OutputPath.check(json, option: OutputOption.label) }
            let adc = try RampADC(function: f, bits: bits, inputRange: r)
            let program = try RampProgram(adc: adc, quantizationLevels: levels)
            let tech = program.technology
            let inputs = ActivationReport.grid(r, points: points)
            var opts = DeckOptions(corner: corner, vdd: tech.vdd, temperature: temp, modelsDirectory: dir, generatorVersion: ToolVersion.string)
            opts.rawPath = "activation.raw"
            if let deck { try OutputPath.check(deck, option: "--deck") }
            let bench = try ActivationBench.deck(program: program, inputs: inputs, options: opts)
            if let deck { try CLI.writeAtomically(bench.text, to: ModelFiles.absolute(deck), option: "--deck") }
            let sched = ConversionSchedule(technology: tech, bits: bits)
            print("\(bits)-bit \(f.name) ramp ADC over [\(r.lowerBound), \(r.upperBound)]\(range == nil ? " (default range)" : ""), \(points) points; corner \(corner.rawValue), VDD \(tech.vdd) V, \(temp) °C")
            CLI.stderr(String(format: "characterize activation: %d conversions of %.2f µs in one transient ...", points, sched.conversionTime * 1e6))
            let started = Date()
            let result: SimulationResult
            do {
                result = try Simulator.shared.run(SimulationRequest(deck: bench.text, timeout: timeout))
            } catch let e as SimulationError { throw UsageFailure("simulation failed: \(e)") }
            let seconds = Date().timeIntervalSince(started)
            let conv: ActivationConversion
            do { conv = try ActivationBench.analyze(result.vectors, program: program, inputs: inputs.count) } catch let e as CharacterizationError {
                throw UsageFailure(e.reason)
            }
            let report = ActivationReport(program: program, inputs: inputs, conversion: conv, simulationSeconds: seconds)
            print("ramp program (device conductances; step 0 is the offset from x = 0 to threshold 1):")
            print("step  threshold     realised      devices x G (uS)   sign")
            for (k, s) in program.steps.enumerated() {
                print(String(format: "%-5d %-13.6g %-13.6g %2d x %-13.4f %+d", k, adc.thresholds[k], program.realisedThresholds[k], s.devices, s.conductance * 1e6, s.sign))
            }
            print("x             code  ideal  f(x)          value         err (LSB)")
            for p in report.points {
                print(String(format: "%-13.6g %-5d %-6d %-13.6g %-13.6g %.3f", p.x, p.simulatedCode, p.idealCode, p.f, p.simulatedValue, p.errorLSB)
                      + (p.simulatedCode != p.idealCode ? "  *" : ""))
            }
            print(String(format: "max |error| %.3f LSB, RMS %.3f LSB (LSB = %.6g); %d of %d codes differ from the ideal ones; simulated in %.1f s",
                         report.maxErrorLSB, report.rmsErrorLSB, report.lsb, report.codeMismatches, report.points.count, seconds))
            print(report.pass ? "PASS: every point within 1 LSB" : "FAIL: not within 1 LSB")
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try CLI.writeAtomically(try enc.encode(report) + Data("\n".utf8), to: ModelFiles.absolute(json), option: OutputOption.label)
            }
            return report.pass
        }
        if !pass { throw ExitCode(1) }
    }
}
