import ArgumentParser
import BMRUModel
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Build a bmru-network v1 file from an architecture file and tensors (.safetensors or .npz).",
        discussion: """
        ARCH.json is a v1 network file without numeric arrays. Tensors are named <layer>.weight \
        ([outputs, inputs]), <layer>.bias, and for bmru layers <layer>.theta_low, <layer>.theta_high, \
        <layer>.level and optionally <layer>.initial_state (0/1; default zeros). Floats are F32 or F64.
        """)

    @Option(help: "Architecture file (v1 network without numeric arrays).") var arch: String
    @Option(help: "Tensor file: .safetensors or .npz.") var tensors: String
    @Option(name: .output(alias: "output"), help: "Output network file.") var output: String
    @Flag(help: "Ignore tensors that no layer uses (default: they are an error).") var allowUnused = false

    func run() throws {
        try CLI.guarded {
            let net = try NetworkImport.load(architecturePath: arch, tensorsPath: tensors, allowUnused: allowUnused)
            try CLI.writeAtomically(NetworkFile.encode(net), to: output, option: OutputOption.label)
            print(ModelCommandIO.summary(net, file: output))
        }
    }
}
