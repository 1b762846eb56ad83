/// Where a fleet's files live. Everything of one fleet is under its home, so two homes never
/// touch each other.
public struct HomeLayout: Sendable, Equatable {
    /// The home directory, absolute.
    public var home: String

    public init(home: String) {
        self.home = home.count > 1 && home.hasSuffix("/") ? String(home.dropLast()) : home
    }

    /// `workers/`: one `<id>.toml` per bot.
    public var workersDirectory: String { "\(home)/workers" }
    /// `logs/`: `master.log` and `worker_<id>.log`.
    public var logsDirectory: String { "\(home)/logs" }
    /// `run/`: the lock, pid files, the control socket. Owner-only.
    public var runDirectory: String { "\(home)/run" }
    /// Pid files of the workers, for cleaning up after a master that died.
    public var workerPIDDirectory: String { "\(runDirectory)/workers" }

    public var masterLog: String { "\(logsDirectory)/master.log" }
    /// Where a daemonized master's own stdout and stderr go (normally empty; a crash report if not).
    public var masterOutput: String { "\(logsDirectory)/master.out" }
    public var lockFile: String { "\(runDirectory)/master.lock" }
    public var masterPIDFile: String { "\(runDirectory)/master.pid" }
    public var controlSocket: String { "\(runDirectory)/control.sock" }
    /// Restart counters, history and errored states, kept across master restarts.
    public var accountingFile: String { "\(runDirectory)/state.json" }

    public func workerLog(_ id: String) -> String { "\(logsDirectory)/worker_\(id).log" }
    public func workerPIDFile(_ id: String) -> String { "\(workerPIDDirectory)/\(id).pid" }
}
