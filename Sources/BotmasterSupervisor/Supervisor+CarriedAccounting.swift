import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A bot's restart accounting as it travels between the members of a cluster with the bot
/// (kept in Redis beside the bot's lease): its restart count and recent restarts, so the crash
/// loop policy sees the restarts another member made, and whether it is errored, so a bot one
/// member gave up on is not started again by the next.
public struct CarriedAccounting: Codable, Sendable, Equatable {
    public var accounting: WorkerLifecycle.Accounting
    public var restartRecords: [RestartRecord]

    enum CodingKeys: String, CodingKey {
        case accounting
        case restartRecords = "restart_records"
    }

    /// The accounting in its stored form, or `nil` for bytes that are not one (a damaged value
    /// costs counters, never a bot's start).
    public static func decode(_ bytes: [UInt8]) -> CarriedAccounting? {
        try? JSONDecoder().decode(CarriedAccounting.self, from: Data(bytes))
    }
}

// Cluster mode: publishing the owned bots' accounting, and taking over a previous owner's.
extension Supervisor {
    /// The owned bots' accounting as JSON when it changed since `generation` (what the last
    /// call returned), with the generation now; `nil` when nothing changed.
    public func accountingToCarry(unlessAt generation: Int) -> (generation: Int, bots: [String: [UInt8]])? {
        guard let ownership = clusterOwnership, accountingGeneration != generation else { return nil }
        let now = MonotonicTime.now()
        let wallNow = WallClock.nowMilliseconds()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var bots: [String: [UInt8]] = [:]
        for id in ownership.keys {
            guard let worker = workers[id] else { continue }
            let carried = CarriedAccounting(
                accounting: worker.lifecycle.accounting(now: now, wallNowMs: wallNow), restartRecords: worker.restartRecords)
            if let json = try? encoder.encode(carried) { bots[id] = Array(json) }
        }
        return (accountingGeneration, bots)
    }

    /// Cluster mode: the accounting previous owners left for bots this master is about to
    /// start (given with the ownership that starts them).
    func receiveCarriedAccounting(_ carried: [String: [UInt8]]) {
        for (id, bytes) in carried {
            if let accounting = CarriedAccounting.decode(bytes) { carriedAccounting[id] = accounting }
        }
    }

    /// Restores a taken-over bot's accounting into its new record; whether the bot stays
    /// errored (and is not started).
    func restore(_ carried: CarriedAccounting, to worker: ManagedWorker, id: String, now: MonotonicTime) -> Bool {
        accountingDirty = true
        return restore(
            carried.accounting, records: carried.restartRecords, to: worker, id: id, now: now, wallNowMs: WallClock.nowMilliseconds(),
            erroredBecause: "because its previous owner gave up on it")
    }
}
