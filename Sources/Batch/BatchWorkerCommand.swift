import Foundation

/// The process a `BatchPool` starts for every worker: an executable and its arguments. Whatever it is, it
/// speaks the worker protocol on its stdin and stdout (one `BatchWorkerRequest` line in, one
/// `BatchWorkerAnswer` line out per job; `BatchWorkerLoop`), and the pool knows it by the pid it started.
public struct BatchWorkerCommand: Equatable, Sendable {
    /// an absolute path (the pool starts it without a search of PATH)
    public var executable: String
    public var arguments: [String]

    public init(executable: String, arguments: [String]) {
        self.executable = executable; self.arguments = arguments
    }

    /// `bmru batch-worker --parent <this process>` of this executable: the worker dies with this process.
    public static func bmru() -> BatchWorkerCommand {
        BatchWorkerCommand(executable: currentExecutable(), arguments: ["batch-worker", "--parent", "\(getpid())"])
    }

    /// this process's executable, by an absolute path (arguments[0] may be relative or a name found on PATH)
    public static func currentExecutable() -> String {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if FileManager.default.fileExists(atPath: proc.path) {
            return proc.resolvingSymlinksInPath().path
        }
        if let path = Bundle.main.executablePath { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
