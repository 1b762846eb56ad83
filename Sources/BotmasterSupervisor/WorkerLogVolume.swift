import Synchronization

/// One bot's output accounting, kept across its restarts: the rate its log may grow at
/// (`[limits] log_rate`, live on reload) and the bytes dropped over it since the master started.
final class WorkerLogVolume: Sendable {
    private struct State {
        var bytesPerSecond: UInt64
        var droppedBytes: UInt64 = 0
    }

    private let state: Mutex<State>

    init(bytesPerSecond: UInt64) {
        state = Mutex(State(bytesPerSecond: bytesPerSecond))
    }

    var bytesPerSecond: UInt64 {
        get { state.withLock { $0.bytesPerSecond } }
        set { state.withLock { $0.bytesPerSecond = newValue } }
    }

    var droppedBytes: UInt64 { state.withLock { $0.droppedBytes } }

    func countDropped(_ bytes: UInt64) {
        state.withLock { $0.droppedBytes += bytes }
    }
}
