import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem
import Logging
import Synchronization

/// Sends a bot's broadcasts, one at a time in the order they were made, inside its worker:
/// through the same ``OutgoingSender`` as replies (which go first), each chat's outcome
/// recorded in the bot's store before its place in the window is given to another chat, so a
/// new process resumes where this one stopped and sends no chat a second copy except the few
/// whose calls were in flight when it died.
actor BroadcastRunner {
    private let store: any BotStore
    private let sender: OutgoingSender
    private let stats: BotStats
    private let logger: Logger
    private var retry: BotSettings.Retry

    private var loop: Task<Void, Never>?
    private var wakeUp: CheckedContinuation<Void, Never>?
    private var stopped = false
    /// The broadcast sending now, and why it must stop early, if it must.
    private var current: String?
    private let stopReason = StopSignal()
    private var window = BroadcastWindow(cursor: 0, limit: 1)
    private var random = SystemRandomNumberGenerator()

    enum StopReason: Equatable, Sendable {
        case pause, cancel, drain
    }

    /// Why the running broadcast must stop, readable from the sender without a hop onto
    /// this actor.
    final class StopSignal: Sendable {
        private let reason = Mutex<StopReason?>(nil)

        func withLock<Value>(_ body: (inout StopReason?) -> Value) -> Value { reason.withLock { body(&$0) } }
    }

    init(store: any BotStore, sender: OutgoingSender, stats: BotStats, retry: BotSettings.Retry, logger: Logger) {
        self.store = store
        self.sender = sender
        self.stats = stats
        self.retry = retry
        self.logger = logger
    }

    func apply(retry: BotSettings.Retry) { self.retry = retry }

    /// Starts sending (the store is open): a broadcast that was running when the previous
    /// process stopped goes on first.
    func start() {
        guard loop == nil, !stopped else { return }
        loop = Task.placed { await self.run() }
    }

    /// Stops at once: no new sends; the ones in flight end and are recorded. The broadcast
    /// stays `running` in the store, for the next process.
    func drain() async {
        stopped = true
        stopReason.withLock { $0 = .drain }
        wake()
        await loop?.value
    }

    private func wake() {
        wakeUp?.resume()
        wakeUp = nil
    }

    private func run() async {
        var failures = 0
        while !stopped {
            do {
                let all = try await store.broadcasts()
                guard let next = all.first(where: { $0.info.state == .running }) ?? all.first(where: { $0.info.state == .queued }) else {
                    await withCheckedContinuation { wakeUp = $0 }
                    continue
                }
                failures = 0
                try await send(next)
            } catch {
                failures += 1
                if failures == 1 { logger.warning("broadcasts wait for the store", metadata: ["error": "\(error)"]) }
                try? await TaskPlacement.sleep(for: StoreRetryDelay.idle(afterFailures: failures))
            }
        }
    }

    // MARK: Sending one broadcast

    private func send(_ listed: StoredBroadcast) async throws {
        let id = listed.info.id
        // From here on an operator's pause or cancel of this broadcast stops it (``control``
        // sees it as current); one that came while it was being picked is in the store, so it
        // is read again.
        current = id
        stopReason.withLock { if $0 != .drain { $0 = nil } }
        defer {
            current = nil
            stats.broadcastsRunning.store(0, ordering: .relaxed)
            stats.broadcastRemaining.store(0, ordering: .relaxed)
        }
        guard let broadcast = try await store.broadcasts().first(where: { $0.info.id == id }),
            broadcast.info.state == .queued || broadcast.info.state == .running
        else { return }
        if broadcast.info.state == .queued {
            _ = try await store.setBroadcastState(id, to: .running, atMs: WallClock.nowMilliseconds())
        }
        await sender.setBroadcastRate(broadcast.info.ratePerSecond)
        window = BroadcastWindow(cursor: broadcast.cursor, limit: BroadcastWindow.limit(forRate: broadcast.info.ratePerSecond))
        var remaining = broadcast.info.remaining
        stats.broadcastsRunning.store(1, ordering: .relaxed)
        stats.broadcastRemaining.store(UInt64(remaining), ordering: .relaxed)
        logger.info(
            "broadcast sending",
            metadata: ["broadcast": "\(id)", "remaining": "\(remaining)", "rate": "\(broadcast.info.ratePerSecond)"])
        let message = broadcast.info.message
        try await withThrowingTaskGroup(of: Void.self) { group in
            pages: while stopReason.withLock({ $0 }) == nil {
                let page = try await store.broadcastTargets(id, from: window.next, count: 512)
                if page.isEmpty { break }
                for target in page {
                    if target.done {
                        window.skip(target.position)
                        continue
                    }
                    // A send given up on a stop keeps its place in the window, so a window full
                    // of them never empties: stopping is checked before each wait, and a group
                    // with nothing left in flight ends the wait (it spun on `next()` before).
                    while !window.hasRoom {
                        if stopReason.withLock({ $0 }) != nil { break pages }
                        if try await group.next() == nil { break pages }
                    }
                    if stopReason.withLock({ $0 }) != nil { break pages }
                    window.dispatch(target.position)
                    group.addTask { try await self.deliver(message, to: target, broadcast: id) }
                    remaining -= 1
                    stats.broadcastRemaining.store(UInt64(max(remaining, 0)), ordering: .relaxed)
                }
            }
            try await group.waitForAll()
        }
        switch stopReason.withLock({ $0 }) {
        case nil where !window.inFlight.isEmpty:
            // Only a stop leaves a chat without its outcome; should one be left anyway, the
            // broadcast stays running and the next pass sends it.
            logger.warning("broadcast left chats without an outcome; it goes on", metadata: ["broadcast": "\(id)"])
        case nil:
            _ = try await store.setBroadcastState(id, to: .done, atMs: WallClock.nowMilliseconds())
            logger.info("broadcast done", metadata: ["broadcast": "\(id)"])
        case .pause?, .cancel?:
            logger.info("broadcast stopped by an operator", metadata: ["broadcast": "\(id)"])
        case .drain?:
            logger.info("broadcast left for the next worker", metadata: ["broadcast": "\(id)"])
        }
    }

    /// Sends to one chat and records the outcome. A chat left without one (the broadcast
    /// stops first, or its record cannot be written) stays in the window, so no cursor written
    /// after it passes it: a later run sends it.
    private func deliver(_ message: BroadcastMessage, to target: BroadcastTarget, broadcast id: String) async throws {
        guard let outcome = await attempt(message, to: target) else { return }
        // Without its record the chat would be sent again after a restart: an error stops the
        // broadcast here rather than sending on blind, and it goes on from the store.
        try await store.recordBroadcastOutcome(id, outcome, cursor: cursorNow())
        switch outcome.kind {
        case .sent: BotStats.add(stats.broadcastSent)
        case .blocked, .invalid, .failed: BotStats.add(stats.broadcastUnreached)
        }
        finish(target.position)
    }

    private func cursorNow() -> Int { window.cursor }
    private func finish(_ position: Int) { window.finish(position) }

    /// The Bot API's word on one chat: sent, blocked (403), invalid (another 4xx), failed after
    /// the bot's retries; `nil` when the broadcast stops before the call is made.
    private func attempt(_ message: BroadcastMessage, to target: BroadcastTarget) async -> BroadcastOutcome? {
        let chat = target.chat
        var failures = 0
        while stopReason.withLock({ $0 }) == nil {
            do {
                _ = try await sender.performBroadcast(
                    chatID: chat, order: target.position, shouldStop: { [stopReason] in stopReason.withLock { $0 } != nil }
                ) {
                    client throws(BotAPIError) in
                    if let text = message.text {
                        return try await client.sendMessage(SendMessage(chatID: chat, text: text, parseMode: message.parseMode)).messageID
                    }
                    let transfer = MessageTransfer(chatID: chat, fromChatID: message.fromChatID ?? 0, messageID: message.messageID ?? 0)
                    return try await client.copyMessage(transfer).messageID
                }
                return BroadcastOutcome(position: target.position, chat: chat, kind: .sent)
            } catch let refused as OutgoingSender.BreakerOpen {
                try? await TaskPlacement.sleep(for: refused.retryIn)
            } catch let error as BotAPIError {
                switch error {
                case .api(403, let description, _):
                    return BroadcastOutcome(position: target.position, chat: chat, kind: .blocked, reason: description)
                case .api(let code, let description, _) where code >= 400 && code < 500 && code != 429:
                    return BroadcastOutcome(position: target.position, chat: chat, kind: .invalid, reason: "\(code): \(description)")
                default:
                    failures += 1
                    let backoff = RetryBackoff(
                        baseDelay: .milliseconds(retry.baseDelayMs), maxDelay: .milliseconds(retry.maxDelayMs),
                        maxAttempts: retry.maxAttempts)
                    guard let delay = backoff.delay(beforeAttempt: failures + 1, using: &random) else {
                        return BroadcastOutcome(position: target.position, chat: chat, kind: .failed, reason: error.description)
                    }
                    try? await TaskPlacement.sleep(for: delay)
                }
            } catch {
                // Stopping (the sender saw the stop before making the call).
                return nil
            }
        }
        return nil
    }

    // MARK: Operators' actions

    /// Makes a broadcast; it starts when the one before it ends.
    func create(_ request: BroadcastRequest, defaultRate: Double) async throws -> BroadcastInfo {
        if let problem = request.createProblem { throw BroadcastRefusal(problem) }
        let draft = BroadcastInfo(
            id: "", state: .queued, message: request.message ?? BroadcastMessage(), audience: request.chats == nil ? "known" : "list",
            total: 0, ratePerSecond: request.rate ?? defaultRate, createdMs: WallClock.nowMilliseconds())
        let info = try await store.createBroadcast(draft, audience: request.chats.map { .chats($0) } ?? .known)
        logger.notice(
            "broadcast created", metadata: ["broadcast": "\(info.id)", "chats": "\(info.total)", "audience": "\(info.audience)"])
        wake()
        return info
    }

    /// Pauses, resumes or cancels a broadcast; returns it as it is then.
    func control(_ action: BroadcastRequest.Action, id: String) async throws -> BroadcastInfo {
        guard var info = try await store.broadcasts().first(where: { $0.info.id == id })?.info else {
            throw BroadcastRefusal("no broadcast \(id)")
        }
        let target: BroadcastState
        switch (action, info.state) {
        case (_, .done), (_, .cancelled): throw BroadcastRefusal("broadcast \(id) is \(info.state.rawValue) already")
        case (.pause, .paused): return info
        case (.pause, _): target = .paused
        case (.resume, .paused): target = .queued
        case (.resume, _): return info
        case (.cancel, _): target = .cancelled
        default: throw BroadcastRefusal("\(action.rawValue) is not an action on a broadcast")
        }
        if current == id { stopReason.withLock { $0 = action == .cancel ? .cancel : .pause } }
        _ = try await store.setBroadcastState(id, to: target, atMs: WallClock.nowMilliseconds())
        info.state = target
        logger.notice("broadcast \(target == .queued ? "resumed" : target.rawValue)", metadata: ["broadcast": "\(id)"])
        wake()
        return info
    }
}

/// Why a broadcast action was refused, in words for the operator.
struct BroadcastRefusal: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
