/// What a reload changed, bot by bot.
public struct ReloadSummary: Sendable, Equatable, CustomStringConvertible {
    /// New bots, started.
    public var started: [String] = []
    /// Bots removed or disabled, stopped gracefully.
    public var stopped: [String] = []
    /// Bots whose command, environment or protocol changed, restarted.
    public var restarted: [String] = []
    /// Bots whose limits changed, applied live with no restart.
    public var updated: [String] = []
    /// Bots left exactly as they were (same process).
    public var unchanged: [String] = []

    public init() {}

    /// Adds the changes of an earlier reload: a bot it changed counts as changed, not as
    /// unchanged.
    public mutating func fold(_ earlier: ReloadSummary) {
        let changed = Set(earlier.started + earlier.stopped + earlier.restarted + earlier.updated)
        unchanged.removeAll { changed.contains($0) }
        let mine = Set(started + stopped + restarted + updated)
        started += earlier.started.filter { !mine.contains($0) }
        stopped += earlier.stopped.filter { !mine.contains($0) }
        restarted += earlier.restarted.filter { !mine.contains($0) }
        updated += earlier.updated.filter { !mine.contains($0) }
    }

    public var description: String {
        "\(started.count) started, \(stopped.count) stopped, \(restarted.count) restarted, "
            + "\(updated.count) updated live, \(unchanged.count) unchanged"
    }
}

/// The outcome of the last reload, as status shows it.
public struct ReloadRecord: Sendable, Equatable {
    /// Wall-clock time, milliseconds since the epoch.
    public var wallClockMs: Int64
    /// Whether the new fleet was applied.
    public var succeeded: Bool
    /// The summary, or why nothing changed.
    public var message: String
}
