/// How long a bot waits before calling its store again after failures in a row: doubling, and
/// capped so that a store that comes back is used again within seconds. One place for the
/// curves, which the engine, the broadcasts and the relayed-webhook reader share.
package enum StoreRetryDelay {
    /// For a step of the work in hand (taking jobs, finishing one, reading relayed webhooks):
    /// 200 ms after the first failure, doubling to 2 s.
    package static func step(afterFailures failures: Int) -> Duration {
        .milliseconds(min(100 * (1 << min(max(failures, 0), 5)), 2000))
    }

    /// For what waits anyway (opening the bot's state, a broadcast's next batch): 400 ms after
    /// the first failure, doubling to 3 s.
    package static func idle(afterFailures failures: Int) -> Duration {
        .milliseconds(min(200 * (1 << min(max(failures, 0), 4)), 3000))
    }
}
