import BotAPI
import BotmasterSystem
import Logging

/// Long polling with `getUpdates`, confirming only updates kept in the bot's store.
///
/// An update is safe once its intake step ran in the store, so the offset moves past it at once
/// and the poller always long-polls (25 s) with one past the last update kept; a poll's updates
/// are taken in one store call. An update the engine refused (draining, full, or its store is
/// away) is not confirmed, nor anything after it: the next poll reads them again.
package struct UpdatePoller: Sendable {
    let engine: BotEngine
    let client: BotAPIClient
    let stats: BotStats
    let logger: Logger
    let source: BotStats.Source

    static let longPollSeconds = 25

    package init(engine: BotEngine, client: BotAPIClient, stats: BotStats, logger: Logger, source: BotStats.Source) {
        self.engine = engine
        self.client = client
        self.stats = stats
        self.logger = logger
        self.source = source
    }

    package func run() async {
        var failures = 0
        var reportedConflict = false
        stats.source.store(source.rawValue, ordering: .relaxed)
        while !Task.isCancelled {
            let offset = await engine.pollOffset
            do {
                // After a failure, a short poll first: its quick answer shows the source works again.
                let timeout = failures > 0 ? 0 : Self.longPollSeconds
                let updates = try await client.getUpdates(offset: offset, timeout: timeout)
                if failures > 0 || reportedConflict { logger.notice("polling again", metadata: ["failed_calls": "\(failures)"]) }
                failures = 0
                reportedConflict = false
                stats.source.store(source.rawValue, ordering: .relaxed)
                guard !updates.isEmpty else { continue }
                if await engine.accept(updates, polled: true).contains(.busy) {
                    // Not all taken: read them again shortly.
                    try? await TaskPlacement.sleep(for: .milliseconds(500))
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                if error.isConflict {
                    BotStats.add(stats.pollConflicts)
                    stats.source.store(BotStats.Source.conflict.rawValue, ordering: .relaxed)
                    if !reportedConflict {
                        logger.warning("getUpdates answered 409: another poller or a webhook is using this token; backing off")
                        reportedConflict = true
                    }
                } else if failures == 1 || failures.isMultiple(of: 20) {
                    logger.warning("getUpdates failed", metadata: ["failures_in_a_row": "\(failures)", "error": "\(error)"])
                }
                try? await TaskPlacement.sleep(for: Self.backoff(afterFailures: failures))
            }
        }
    }

    /// Confirms what finished before the process exits, so the next one does not answer it again.
    package func confirmFinished() async {
        guard let offset = await engine.pollOffset else { return }
        _ = try? await client.getUpdates(offset: offset, limit: 1, timeout: 0)
    }

    package static func backoff(afterFailures failures: Int) -> Duration {
        .milliseconds(min(500 << min(failures - 1, 6), 30_000))
    }
}
