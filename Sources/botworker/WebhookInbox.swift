import BotAPI
import BotEngine
import BotmasterIPC
import BotworkerKit
import Synchronization

/// Webhook updates from the master, taken in the order they came: whatever arrived while the
/// engine was busy with the previous group goes to it as one group (with Redis, one round trip
/// for all of them), and each gets its ack.
final class WebhookInbox: Sendable {
    private let engine: BotEngine
    private let writer: FrameWriter
    /// Where the engine runs: the protocol thread hands each group over to it.
    private let executor: EventLoopTaskExecutor
    private let state = Mutex<State>(State())

    private struct State {
        var pending: [WebhookUpdate] = []
        var taking = false
        var closed = false
    }

    init(engine: BotEngine, writer: FrameWriter, executor: EventLoopTaskExecutor) {
        self.engine = engine
        self.writer = writer
        self.executor = executor
    }

    func receive(_ update: WebhookUpdate) {
        enum Next { case start, queued, refused }
        let next = state.withLock { state -> Next in
            guard !state.closed else { return .refused }
            state.pending.append(update)
            guard !state.taking else { return .queued }
            state.taking = true
            return .start
        }
        switch next {
        case .start: TaskPlacement.start(on: executor) { await self.takeAll() }
        case .queued: break
        case .refused:
            // Draining: refused, so Telegram delivers it again to the next process.
            try? writer.write(UpdateAck(requestID: update.requestID, result: .busy).frame())
        }
    }

    /// No more updates: later ones are answered busy.
    func close() {
        state.withLock { $0.closed = true }
    }

    private func takeAll() async {
        while true {
            let group = state.withLock { state -> [WebhookUpdate] in
                let group = state.pending
                state.pending = []
                if group.isEmpty { state.taking = false }
                return group
            }
            guard !group.isEmpty else { return }
            // Filled by appending, not made with `Array(repeating:count:)`, whose allocation is
            // generic code that looks its storage's type up at run time on every call, as an
            // array of (index, update) pairs did: 0.5 % of a busy worker's samples together.
            var results: [UpdateAck.Result] = []
            var updates: [Update] = []
            var positions: [Int] = []
            results.reserveCapacity(group.count)
            updates.reserveCapacity(group.count)
            positions.reserveCapacity(group.count)
            for delivery in group {
                if let update = try? Update.decode(delivery.body) {
                    updates.append(update)
                    positions.append(results.count)
                }
                results.append(.invalid)
            }
            for (position, result) in zip(positions, await engine.accept(updates, polled: false)) {
                results[position] = result
            }
            try? writer.write(zip(group, results).map { UpdateAck(requestID: $0.requestID, result: $1).frame() })
        }
    }
}
