import ArgumentParser
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check ngspice, libngspice and the model files.")
    func run() throws {}
}
