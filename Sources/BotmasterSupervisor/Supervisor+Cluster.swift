import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Glibc
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Cluster mode on the supervisor's side: the cluster service decides which bots this master
// owns (it holds their leases); the supervisor runs exactly those, each worker started with
// its bot's fencing epoch.
extension Supervisor {
    /// Cluster mode: the bots this master holds leases for now, with their epochs. Bots new
    /// to it start, bots it no longer owns drain and stop, and a bot whose epoch changed
    /// restarts (its old worker's steps would be refused). Nothing outside cluster mode.
    /// - Parameter carried: the restart accounting previous owners left for bots newly owned
    ///   (``CarriedAccounting`` as JSON), restored before their first start.
    @discardableResult
    public func setOwnership(_ owned: [String: Int64], carried: [String: [UInt8]] = [:]) async -> ReloadSummary {
        guard clusterOwnership != nil, !shuttingDown, owned != clusterOwnership else { return ReloadSummary() }
        clusterOwnership = owned
        receiveCarriedAccounting(carried)
        let summary = await apply(enabledDefinitions)
        carriedAccounting = [:]
        syncAllRoutes()
        if !(summary.started + summary.stopped + summary.restarted).isEmpty {
            logger.notice(
                "cluster ownership changed",
                metadata: [
                    "started": "\(summary.started.joined(separator: ","))", "stopped": "\(summary.stopped.joined(separator: ","))",
                    "restarted": "\(summary.restarted.joined(separator: ","))", "owned": "\(owned.count)",
                ])
        }
        return summary
    }

    /// Self-fencing: this master could not renew its leases for too long, so another member
    /// may take its bots soon. Every worker is killed now (no drain: a drain needs the store,
    /// and the time is up) and the master owns nothing until it holds leases again.
    /// - Returns: whether there was anything to stop.
    @discardableResult
    public func fenceSelf() async -> Bool {
        guard let ownership = clusterOwnership, !ownership.isEmpty || workers.values.contains(where: \.lifecycle.hasProcess)
        else { return false }
        logger.critical(
            "cannot renew the cluster leases: stopping every bot before the leases expire",
            metadata: ["bots": "\(workers.count)"])
        for worker in workers.values { if let pid = worker.pid { try? Processes.send(SIGKILL, toGroup: pid) } }
        await setOwnership([:])
        return true
    }

    /// Whether a graceful shutdown has begun (the cluster takes no new leases then).
    public var isShuttingDown: Bool { shuttingDown }

    /// The bots the cluster assigns: the fleet's enabled bots, owned here or not.
    public func clusterCandidates() -> [String] {
        enabledDefinitions.map(\.id).sorted()
    }

    /// A digest of the fleet definition (every enabled bot and its settings; tokens only as
    /// part of the hash), published so members that disagree about the fleet are seen.
    public func fleetDigest() -> String {
        if let fleetDigestCache { return fleetDigestCache }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var hash = FNV1a()
        for definition in enabledDefinitions.sorted(by: { $0.id < $1.id }) {
            hash.add(definition.id)
            hash.add((definition.command ?? []).joined(separator: "\u{1}"))
            for key in definition.environment.keys.sorted() { hash.add("\(key)=\(definition.environment[key] ?? "")") }
            hash.add("\(definition.limits)")
            if let bot = definition.bot, let json = try? encoder.encode(bot.jsonObject) { hash.add(bytes: json) }
        }
        fleetDigestCache = hash.hex
        return hash.hex
    }

    /// Bots whose worker still has a process (running, starting or draining): a lease is
    /// released only once its worker is gone.
    public func botsWithProcess() -> Set<String> {
        Set(workers.filter { $0.value.lifecycle.hasProcess }.map(\.key))
    }

    /// Cluster mode's view as the cluster service last read it; `nil` outside cluster mode.
    public var clusterStatus: ClusterStatus? { clusterView }

    /// Keeps the cluster service's latest view for status.
    public func recordCluster(_ view: ClusterStatus) {
        clusterView = view
    }

    /// `definitions` as this master runs them: in cluster mode only the owned ones, each with
    /// its fencing epoch in the worker's environment (a new epoch is a changed environment,
    /// so the reload path restarts the worker).
    func owned(_ definitions: [WorkerDefinition]) -> [WorkerDefinition] {
        guard let ownership = clusterOwnership else { return definitions }
        return definitions.compactMap { definition in
            guard let epoch = ownership[definition.id] else { return nil }
            var owned = definition
            owned.environment[WorkerExitCode.epochVariable] = "\(epoch)"
            return owned
        }
    }
}
