import ArgumentParser
import BMRUModel
import Foundation
import Netlist

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a bmru-network v1 file; print a one-line summary or every problem found.",
        discussion: """
        Exit status 0 when valid, 2 with one line per problem (file: field: reason) otherwise. Parameters the \
        emitted circuit cannot realise (hard limits of the operating range) are errors; parameters outside the \
        characterised range are warnings on stderr (see README, "Operating range").
        """)

    @Argument(help: "The network file (JSON, format bmru-network or crossbar-rnn-network, version 1).") var network: String

    func run() throws {
        try CLI.guarded {
            if CrossbarNetworkFile.format(ofFileAt: network) == CrossbarNetworkFile.formatName {
                let (net, problems) = CrossbarNetworkFile.problems(path: network)
                guard let net else { try ModelCommandIO.fail(problems, file: network) }
                print(ModelCommandIO.summary(net, file: network))
                return
            }
            let (net, problems) = NetworkFile.problems(path: network)
            guard let net else { try ModelCommandIO.fail(problems, file: network) }
            try CLI.checkOperatingRange(net, file: network)
            print(ModelCommandIO.summary(net, file: network))
        }
    }
}

/// Small helpers shared by the model-side commands (validate, model, import, stimulus).
enum ModelCommandIO {
    /// Prints every problem (one line each) and exits with status 2.
    static func fail(_ problems: [FormatError], file: String) throws -> Never {
        for p in problems { CLI.stderr("error: \(p)") }
        if problems.count >= NetworkLimits.maxReportedProblems {
            CLI.stderr("error: \(file): stopped after \(problems.count) problems")
        }
        throw ExitCode(2)
    }

    static func summary(_ n: CrossbarNetwork, file: String) -> String {
        let parts = n.layers.map { l in
            "\(l.name) \(l.kind.rawValue) \(l.inputs)→\(l.units) \(l.activation.name) \(l.adcBits)-bit ADC"
        }
        return "\(file): valid \(CrossbarNetworkFile.formatName) v\(CrossbarNetworkFile.version) \"\(n.name)\": \(n.inputs) inputs, "
            + "\(n.layers.count) layers (\(parts.joined(separator: ", "))), \(n.parameterCount) parameters, "
            + "frame period \(n.framePeriod) s"
    }

    static func summary(_ n: Network, file: String) -> String {
        let parameters = n.parameterCount
        let parts = n.layers.map { l -> String in
            switch l.kind {
            case .dense:
                return "\(l.name) dense \(l.inputs)→\(l.outputs) \(l.activation.rawValue)" + (l.residual.map { " +\($0)" } ?? "")
            case .bmru:
                return "\(l.name) bmru \(l.inputs)→\(l.outputs)"
            }
        }
        return "\(file): valid \(NetworkFile.formatName) v\(NetworkFile.version) \"\(n.name)\": \(n.inputs) inputs, "
            + "\(n.layers.count) layers (\(parts.joined(separator: ", "))), \(parameters) parameters, "
            + "unit current \(n.unitCurrent) A, frame period \(n.framePeriod) s"
    }
}
