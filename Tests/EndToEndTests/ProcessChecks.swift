import BotmasterSystem
import Glibc

/// Whether a process still runs: it exists and is not a zombie waiting for a reaper. A worker
/// orphaned by a killed master is reparented, and in a container nobody may reap it.
func isRunning(_ pid: pid_t) -> Bool {
    guard let bytes = FileSystem.readFile("/proc/\(pid)/stat") else { return false }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let close = text.lastIndex(of: ")") else { return false }
    let state = text[text.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls until `pid` no longer runs.
func waitUntilGone(_ pid: pid_t, timeout: Duration) async -> Bool {
    let deadline = MonotonicTime.now() + timeout
    while MonotonicTime.now() < deadline {
        if !isRunning(pid) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return !isRunning(pid)
}
