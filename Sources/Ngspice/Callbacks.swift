import CNgspice
import Foundation

// ngspice calls these from its own threads (the caller's, or its background simulation thread).
// They only append to a locked log and flip flags; they never call back into ngspice.

final class CallbackHub: @unchecked Sendable {
    static let shared = CallbackHub()

    private let condition = NSCondition()
    private var lines: [String] = []
    private var lastStatus = ""
    private var ended = 0
    private var exitFlag = false
    private var exitCode: Int32 = 0

    /// Starts a fresh per-run log.
    func beginRun() {
        condition.lock()
        lines.removeAll(keepingCapacity: true)
        lastStatus = ""
        condition.unlock()
    }

    /// Ends the run and hands its log over.
    func endRun() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        let out = lines
        lines.removeAll(keepingCapacity: true)
        return out
    }

    func snapshot() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    var endedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return ended
    }

    var exited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return exitFlag
    }

    var exitStatus: Int32 {
        condition.lock()
        defer { condition.unlock() }
        return exitCode
    }

    func append(_ line: String) {
        condition.lock()
        lines.append(line)
        condition.unlock()
    }

    func status(_ text: String) {
        // Progress percentages arrive many times per run; keep only changes of the message itself.
        let head = text.split(separator: ":").first.map(String.init) ?? text
        condition.lock()
        if head != lastStatus {
            lastStatus = head
            lines.append("status " + text)
        }
        condition.unlock()
    }

    func backgroundEnded() {
        condition.lock()
        ended += 1
        condition.broadcast()
        condition.unlock()
    }

    func controlledExit(_ status: Int32) {
        condition.lock()
        exitFlag = true
        exitCode = status
        lines.append("stderr ngspice requested exit with status \(status)")
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the background thread has ended more often than `after`, or ngspice exits.
    func waitForBackgroundEnd(after: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while ended <= after && !exitFlag {
            if !condition.wait(until: deadline) {
                return ended > after || exitFlag
            }
        }
        return true
    }
}

func ngBridgeSendChar(_ text: UnsafeMutablePointer<CChar>?, _ id: Int32, _ user: UnsafeMutableRawPointer?) -> Int32 {
    if let text {
        CallbackHub.shared.append(String(cString: text))
    }
    return 0
}

func ngBridgeSendStat(_ text: UnsafeMutablePointer<CChar>?, _ id: Int32, _ user: UnsafeMutableRawPointer?) -> Int32 {
    if let text {
        CallbackHub.shared.status(String(cString: text))
    }
    return 0
}

func ngBridgeControlledExit(_ status: Int32, _ immediate: Bool, _ quit: Bool, _ id: Int32,
                            _ user: UnsafeMutableRawPointer?) -> Int32 {
    CallbackHub.shared.controlledExit(status)
    return 0
}

func ngBridgeBackgroundRunning(_ notRunning: Bool, _ id: Int32, _ user: UnsafeMutableRawPointer?) -> Int32 {
    if notRunning {
        CallbackHub.shared.backgroundEnded()
    }
    return 0
}
