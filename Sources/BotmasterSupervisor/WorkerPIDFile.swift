import BotmasterSystem
import Glibc

/// `run/workers/<id>.pid`: the pid of a worker and its start time in clock ticks since boot.
/// The start time is what makes the file safe to act on after a crash: a pid reused by an
/// unrelated process has another start time, so the master never signals it.
struct WorkerPIDFile: Equatable {
    var pid: pid_t
    var startTime: UInt64

    var contents: [UInt8] { Array("\(pid) \(startTime)\n".utf8) }

    init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    init?(contents: [UInt8]) {
        let fields = String(decoding: contents, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let pid = pid_t(fields[0]), pid > 1, let start = UInt64(fields[1]) else { return nil }
        self.init(pid: pid, startTime: start)
    }

    /// Whether the process this file names is still the one that runs under its pid.
    var isStillRunning: Bool {
        ProcFS.startTime(of: pid) == startTime
    }
}
