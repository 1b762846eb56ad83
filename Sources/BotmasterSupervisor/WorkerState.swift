/// Where a worker is in its life, as `status` shows it.
public enum WorkerState: String, Sendable, Codable, CaseIterable {
    /// Spawned; waiting for the hello frame (or, for a plain process, the first second).
    case starting
    /// Up and, for protocol workers, heartbeating.
    case running
    /// Asked to stop (drain or SIGTERM); SIGKILL follows at the stop timeout.
    case stopping
    /// Stopped on purpose (shutdown, disabled, removed); not restarted.
    case stopped
    /// Ended and waiting out the restart cooldown.
    case backoff
    /// Restarted too often within the window; waits for `botmaster restart <id>`.
    case errored
}

/// Why a worker ended or was ended: what `last_exit` and the restart history show.
public enum ExitReason: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The process ended by itself (exit code or signal).
    case exited(String)
    /// No heartbeat within the heartbeat timeout.
    case hung(silentFor: Duration)
    /// No hello within the start timeout.
    case startTimeout
    /// The memory of its process group (PSS) went over the cap.
    case memory(used: UInt64, cap: UInt64)
    /// It sent a malformed, oversized or out-of-order frame.
    case protocolError(String)
    /// An operator asked for a restart.
    case operatorRestart
    /// A reload changed what the worker runs (command, environment, protocol).
    case reload
    /// The spawn itself failed (missing executable, no permission).
    case spawnFailed(String)

    /// Every ``kind``, so that a metric can count each from 0 before the first happens.
    public static let kinds = ["exit", "hung", "start_timeout", "memory", "protocol_error", "operator", "reload", "spawn_failed"]

    /// A short machine-friendly label, for metrics and filtering.
    public var kind: String {
        switch self {
        case .exited: "exit"
        case .hung: "hung"
        case .startTimeout: "start_timeout"
        case .memory: "memory"
        case .protocolError: "protocol_error"
        case .operatorRestart: "operator"
        case .reload: "reload"
        case .spawnFailed: "spawn_failed"
        }
    }

    public var description: String {
        switch self {
        case .exited(let status): status
        case .hung(let silence): "hung (no heartbeat for \(silence.millisecondsClamped / 1000)s)"
        case .startTimeout: "start timeout (no hello)"
        case .memory(let used, let cap):
            "memory \(used / (1024 * 1024))MB over the cap of \(cap / (1024 * 1024))MB"
        case .protocolError(let reason): "protocol error: \(reason)"
        case .operatorRestart: "restarted by operator"
        case .reload: "restarted by reload"
        case .spawnFailed(let reason): "spawn failed: \(reason)"
        }
    }
}
