import BotmasterIPC
import Glibc
import NIOCore

/// Everything the supervisor reacts to, in the order it happened. One task consumes these, so
/// the fleet's state has a single owner and needs no locks.
enum SupervisorEvent: Sendable {
    /// The master's end of a worker's IPC channel is registered with the event loop.
    case channelAttached(id: String, pid: pid_t, any Channel)
    /// A worker's hello frame arrived on the channel of process `pid`.
    case hello(id: String, pid: pid_t, Hello)
    /// A worker's stream broke the protocol; its channel is closed.
    case protocolViolation(id: String, pid: pid_t, reason: String)
    /// A worker's channel reached end of file.
    case channelClosed(id: String, pid: pid_t)
    /// A bot worker's heartbeat names another update source than its last one (it began to
    /// take webhooks, say): the bot's webhook route may change.
    case sourceChanged(id: String)
    /// SIGCHLD: reap.
    case childrenExited
    /// Time passed: check deadlines, sample memory.
    case tick
    /// Start the next slice of the fleet at start-up.
    case continueStart
    /// A plain process's start grace has ended: it counts as running now, not at the next tick.
    case startGraceEnded
    /// Stop the fleet and return.
    case shutdown
}

extension SupervisorEvent {
    /// The bot the event is about, if it is about one.
    var workerID: String? {
        switch self {
        case .channelAttached(let id, _, _), .hello(let id, _, _), .protocolViolation(let id, _, _), .channelClosed(let id, _),
            .sourceChanged(let id):
            id
        case .childrenExited, .tick, .continueStart, .startGraceEnded, .shutdown:
            nil
        }
    }
}
