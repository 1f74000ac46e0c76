import ArgumentParser
struct Spice: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run any SPICE deck in-process and write vectors as CSV.")
    func run() throws {}
}
