import BotmasterConfig
import BotmasterSystem
import Glibc
import Logging

/// Stops the workers a previous master left behind when it died (its pid files are still in
/// `run/workers/`), before the new master starts its own: two pollers on one bot token is
/// exactly the 409 Conflict the predecessor fought.
enum StaleWorkerCleaner {
    /// How long a stale worker gets after SIGTERM before its group gets SIGKILL.
    static let gracePeriod: Duration = .seconds(5)

    /// Finds, verifies and stops the stale workers; removes every pid file.
    /// - Returns: the ids of the workers that were stopped.
    @discardableResult
    static func clean(layout: HomeLayout, logger: Logger) async -> [String] {
        guard let names = FileSystem.directoryEntries(layout.workerPIDDirectory) else { return [] }
        var stale: [(id: String, file: WorkerPIDFile)] = []
        for name in names where name.hasSuffix(".pid") {
            let path = "\(layout.workerPIDDirectory)/\(name)"
            let id = String(name.dropLast(4))
            defer { FileSystem.removeFile(path) }
            guard let bytes = try? FileSystem.readRegularFile(path, maximumBytes: 4096), let file = WorkerPIDFile(contents: bytes) else {
                logger.warning("ignoring unreadable worker pid file", metadata: ["file": "\(path)"])
                continue
            }
            guard file.isStillRunning else {
                logger.debug("worker pid file names no live worker", metadata: ["bot": "\(id)", "pid": "\(file.pid)"])
                continue
            }
            logger.warning(
                "stopping a worker left running by a previous master", metadata: ["bot": "\(id)", "pid": "\(file.pid)"])
            try? Processes.send(SIGTERM, toGroup: file.pid)
            try? Processes.send(SIGTERM, to: file.pid)
            stale.append((id, file))
        }
        guard !stale.isEmpty else { return [] }
        let deadline = MonotonicTime.now() + gracePeriod
        while MonotonicTime.now() < deadline && stale.contains(where: { $0.file.isStillRunning }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for (id, file) in stale where file.isStillRunning {
            logger.warning("stale worker ignored SIGTERM; sending SIGKILL", metadata: ["bot": "\(id)", "pid": "\(file.pid)"])
            try? Processes.send(SIGKILL, toGroup: file.pid)
            try? Processes.send(SIGKILL, to: file.pid)
        }
        return stale.map(\.id)
    }
}
