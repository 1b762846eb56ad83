import BotmasterIPC
import NIOCore
import Synchronization

/// Webhook requests waiting for their worker's ``UpdateAck`` result.
public typealias WebhookAcks = WorkerReplies<UpdateAck.Result>

/// Requests to workers waiting for their answer, by request id: webhook updates for their
/// ack, `botmaster dlq` actions for the worker's reply.
///
/// Resolved straight from the worker's channel handler on its event loop, without a hop
/// through the supervisor actor: the ack is on the path of every webhook request. Request ids
/// are one sequence for the whole fleet, so an answer counts only from the worker of the bot
/// the request was sent to: one bot's worker can never answer for another's (a worker that
/// acknowledged another bot's webhook deliveries would have them answered 200 and lost).
public final class WorkerReplies<Answer: Sendable & Equatable>: Sendable {
    /// How a wait ended.
    public enum Outcome: Sendable, Equatable {
        case acknowledged(Answer)
        /// The worker's channel closed (it died or is being replaced) before it answered.
        case workerGone
        /// It did not answer in time.
        case timedOut
    }

    private struct Pending {
        var bot: String
        var complete: @Sendable (Outcome) -> Void
        /// The timeout on the worker channel's event loop, cancelled when the answer comes.
        var timeout: Scheduled<Void>?
    }

    private let pending = Mutex<[UInt64: Pending]>([:])
    private let nextID = Atomic<UInt64>(1)

    public init() {}

    /// A fresh request id.
    public func makeRequestID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// What an answer from a worker found.
    public enum Resolution: Sendable, Equatable {
        /// The request was waiting for this bot's worker and has its answer.
        case resolved
        /// No request waits under that id (it timed out or its worker was replaced meanwhile).
        case unknown
        /// The request was sent to another bot's worker: left waiting, and the answering worker
        /// is breaking the protocol.
        case foreign
    }

    /// Sends with `send` and waits for the answer to `requestID`, at most `timeout`.
    public func wait(
        for requestID: UInt64, bot: String, timeout: Duration, on eventLoop: any EventLoop, send: () -> Void
    ) async -> Outcome {
        await withCheckedContinuation { continuation in
            request(requestID, bot: bot, timeout: timeout, on: eventLoop, send: send) { continuation.resume(returning: $0) }
        }
    }

    /// Sends with `send` and calls `completion` once, with the answer to `requestID` or the
    /// reason there is none, at most `timeout` later. `completion` runs where the wait ends:
    /// on the worker channel's event loop for an answer or a timeout, inside `send` when the
    /// write fails at once. The webhook endpoint answers from it without a task per request.
    ///
    /// The timeout is a task scheduled on `eventLoop` (the worker channel's), not a `Task`
    /// per request: on the webhook path a sleeping task per delivery was a task switch and a
    /// timer-heap entry on the cooperative pool for every update.
    public func request(
        _ requestID: UInt64, bot: String, timeout: Duration, on eventLoop: any EventLoop, send: () -> Void,
        completion: @escaping @Sendable (Outcome) -> Void
    ) {
        pending.withLock { $0[requestID] = Pending(bot: bot, complete: completion) }
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) { self.resolve(requestID, .timedOut) }
        // Stored only if still waiting; an answer can come only after `send`, so it finds it.
        let waiting = pending.withLock { table -> Bool in
            guard table[requestID] != nil else { return false }
            table[requestID]?.timeout = timer
            return true
        }
        if waiting { send() } else { timer.cancel() }
    }

    /// Ends the wait for `requestID`, if it is still waiting (a timeout, a failed write).
    public func resolve(_ requestID: UInt64, _ outcome: Outcome) {
        guard let waiter = pending.withLock({ $0.removeValue(forKey: requestID) }) else { return }
        waiter.timeout?.cancel()
        waiter.complete(outcome)
    }

    /// Ends the wait for `requestID` with `bot`'s worker's answer, if it was sent to that bot.
    @discardableResult
    public func answer(_ requestID: UInt64, from bot: String, _ answer: Answer) -> Resolution {
        let (waiter, resolution) = pending.withLock { table -> (Pending?, Resolution) in
            guard let entry = table[requestID] else { return (nil, .unknown) }
            guard entry.bot == bot else { return (nil, .foreign) }
            return (table.removeValue(forKey: requestID), .resolved)
        }
        waiter?.timeout?.cancel()
        waiter?.complete(.acknowledged(answer))
        return resolution
    }

    /// Ends every wait on `bot`'s worker: its channel is gone.
    func failAll(bot: String) {
        let gone = pending.withLock { table in
            let ids = table.filter { $0.value.bot == bot }.map(\.key)
            return ids.compactMap { table.removeValue(forKey: $0) }
        }
        for waiter in gone {
            waiter.timeout?.cancel()
            waiter.complete(.workerGone)
        }
    }
}
