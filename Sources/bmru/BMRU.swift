import ArgumentParser

@main
struct BMRU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmru",
        abstract: "Turn trained FQ-BMRU networks into GF180MCU circuits and check that they agree.",
        version: ToolVersion.string,
        subcommands: [
            // keep one line per command; each command lives in its own file
            Doctor.self,
            Spice.self,
            CoSimCmd.self,
            PowerCmd.self,
            NoiseCmd.self,
            NetlistCmd.self,
            Characterize.self,
            Calibrate.self,
            Validate.self,
            Model.self,
            Import.self,
            StimulusCommand.self,
            KWSGroup.self,
            Train.self,
            BatchCmd.self,
            BatchWorker.self,
        ]
    )
}

enum ToolVersion {
    static let string = "0.1.0"
}
