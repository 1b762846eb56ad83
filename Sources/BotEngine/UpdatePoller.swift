import BotAPI
import BotmasterSystem

/// Long polling with `getUpdates`, confirming only finished updates.
///
/// With nothing in flight it long-polls (25 s) with one past the last update seen. While
/// updates are in flight the offset stays at the oldest unfinished one, so Telegram keeps
/// returning those: the poller then re-reads without waiting (at most every 250 ms, or as soon
/// as a job finishes, never more than every 50 ms), feeds only the new updates on, and the
/// engine recognises the re-reads. A crash therefore costs re-reading, never losing. With the
/// Redis backend an update is safe once its intake script ran, so the offset moves past it at
/// once and the poller always long-polls; a poll's updates are taken in one round trip.
struct UpdatePoller: Sendable {
    let engine: BotEngine
    let client: BotAPIClient
    let stats: BotStats
    let log: @Sendable (String) -> Void
    let source: BotStats.Source

    static let longPollSeconds = 25

    func run() async {
        var failures = 0
        var lastPoll = MonotonicTime(nanoseconds: 0)
        var reportedConflict = false
        // Updates already fed to the engine that a re-read can return again (only while some
        // are unconfirmed): they are not fed twice, so they are not counted twice either.
        var fed: Set<Int64> = []
        stats.source.store(source.rawValue, ordering: .relaxed)
        while !Task.isCancelled {
            let offset = await engine.pollOffset
            let busy = await engine.holdsUnconfirmedUpdates
            if !busy { fed.removeAll(keepingCapacity: true) }
            let sinceLast = MonotonicTime.now() - lastPoll
            if busy && sinceLast < .milliseconds(50) { try? await Task.sleep(for: .milliseconds(50) - sinceLast) }
            lastPoll = .now()
            do {
                // After a failure, a short poll first: its quick answer shows the source works again.
                let timeout = busy || failures > 0 ? 0 : Self.longPollSeconds
                let updates = try await client.getUpdates(offset: offset, timeout: timeout)
                if failures > 0 || reportedConflict { log("polling again after \(failures) failed getUpdates calls") }
                failures = 0
                reportedConflict = false
                stats.source.store(source.rawValue, ordering: .relaxed)
                let unseen = updates.filter { !fed.contains($0.updateID) }
                var fresh = 0
                var refused = false
                for (update, result) in zip(unseen, await engine.accept(unseen, polled: true)) {
                    if result == .busy {
                        // Not taken (draining, full, or its state store is away): neither it
                        // nor anything after it may be confirmed; read them again shortly.
                        refused = true
                        break
                    }
                    fed.insert(update.updateID)
                    if result != .duplicate { fresh += 1 }
                }
                if refused {
                    try? await Task.sleep(for: .milliseconds(500))
                } else if fresh == 0 && busy {
                    await engine.waitForProgress(limit: .milliseconds(250))
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                if error.isConflict {
                    BotStats.add(stats.pollConflicts)
                    stats.source.store(BotStats.Source.conflict.rawValue, ordering: .relaxed)
                    if !reportedConflict {
                        log("getUpdates answered 409: another poller or a webhook is using this token; backing off")
                        reportedConflict = true
                    }
                } else if failures == 1 || failures.isMultiple(of: 20) {
                    log("getUpdates failed (\(failures) in a row): \(error)")
                }
                try? await Task.sleep(for: Self.backoff(afterFailures: failures))
            }
        }
    }

    /// Confirms what finished before the process exits, so the next one does not answer it again.
    func confirmFinished() async {
        guard let offset = await engine.pollOffset else { return }
        _ = try? await client.getUpdates(offset: offset, limit: 1, timeout: 0)
    }

    static func backoff(afterFailures failures: Int) -> Duration {
        .milliseconds(min(500 << min(failures - 1, 6), 30_000))
    }
}
