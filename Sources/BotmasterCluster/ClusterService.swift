import BotRedis
import BotmasterConfig
import BotmasterControl
import BotmasterSupervisor
import BotmasterSystem
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Cluster mode's loop, every renew interval (a fifth of the lease TTL): renew this member and
/// its leases in Redis, read the live members, compute the assignment, take the leases of the
/// bots assigned here (each with a new fencing epoch), drain the bots that moved away and give
/// their leases up once their workers are gone, and tell the supervisor which bots to run. A
/// master that cannot renew stops all its bots before its leases can expire (self-fencing).
/// On shutdown, after the supervisor drained the fleet, it releases every lease and leaves, so
/// the survivors take the bots at once instead of after the TTL.
public struct ClusterService: Service {
    private let settings: ClusterSettings
    private let capacity: Int
    private let address: String
    private let keys: ClusterKeys
    private let supervisor: Supervisor
    private let client: RedisClient
    private let logger: Logger

    public init(
        settings: ClusterSettings, capacity: Int, address: String, fleet: String, redis: RedisURL, supervisor: Supervisor,
        logger: Logger
    ) {
        self.settings = settings
        self.capacity = capacity
        self.address = settings.address ?? address
        self.keys = ClusterKeys(fleet: fleet)
        self.supervisor = supervisor
        // A renewal that waits longer than an interval is as good as failed.
        self.client = RedisClient(url: redis, timeout: settings.renewInterval)
        self.logger = logger
    }

    public func run() async throws {
        logger.notice(
            "cluster mode", metadata: ["node": "\(settings.node)", "lease_ttl": "\(settings.leaseTTL)", "capacity": "\(capacity)"])
        // Nothing is taken before the supervisor has cleaned up and begun: it would start
        // those bots' workers before its own start-up did.
        while !(await supervisor.hasStarted) && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(20))
        }
        var state = ClusterState()
        // The self-fencing deadline is watched on its own: a round stuck on a Redis that does
        // not answer must not delay it past the leases' expiry.
        let watch = state.watch
        let watchdog = Task { [self] in await guardLeases(watch) }
        defer { watchdog.cancel() }
        while !Task.isShuttingDownGracefully {
            let began = MonotonicTime.now()
            await tick(&state)
            let took = MonotonicTime.now() - began
            if took > settings.renewInterval && state.error == nil {
                // A round this slow risks self-fencing; say so, with what it cost (a round that
                // failed has said why already).
                logger.warning("a cluster round took longer than the renewal interval", metadata: ["ms": "\(took.millisecondsClamped)"])
            }
            do {
                // Rounds start every interval, whatever a round cost: a slow one (many workers
                // to start) followed by a full interval would leave the leases unrenewed for
                // both, and could fence a master that is merely busy.
                let pause = min(max(settings.renewInterval - took, .zero), state.earlyRound ?? settings.renewInterval)
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                break
            }
        }
        // The supervisor has drained the fleet (it shuts down first): nothing runs here now.
        do {
            if !state.held.isEmpty { try await release(Array(state.held.keys)) }
            _ = try await ClusterScripts.leave.run(on: client, arguments: [bytes(keys.members), bytes(keys.info), bytes(settings.node)])
            logger.notice("left the cluster", metadata: ["node": "\(settings.node)", "released": "\(state.held.count)"])
        } catch {
            logger.warning("could not leave the cluster; its leases expire by themselves", metadata: ["error": "\(error)"])
        }
        await client.shutdown()
    }

    /// Self-fencing: several times a second, whether the last successful renewal is older than
    /// the TTL minus the safety margin; then every worker is killed, once per lapse.
    private func guardLeases(_ watch: RenewalWatch) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            guard watch.lapsed(after: settings.selfFenceAfter) else { continue }
            if await supervisor.fenceSelf() { Counter(label: "botmaster_cluster_self_fencings_total").increment() }
        }
    }

    /// One round: renew, assign, acquire and release, and hand the owned bots to the supervisor.
    func tick(_ state: inout ClusterState) async {
        // After a self-fencing nothing runs here and no lease is ours to renew; those still
        // in Redis are taken again (with a new epoch) if the bot is still assigned here, and
        // given up otherwise, so its new owner need not wait for them to expire.
        if state.watch.takeLapse() { state.forsake() }
        let candidates = await supervisor.clusterCandidates()
        let digest = await supervisor.fleetDigest()
        // Taken after the supervisor answered: a busy supervisor must not age the renewal.
        let sent = MonotonicTime.now()
        state.earlyRound = nil
        do {
            let (members, soonestExpiry) = try await heartbeat(digest: digest)
            // A member that stopped renewing (killed, cut off) expires before the next round:
            // come back just after, rather than up to a whole interval later, to take its bots.
            state.expectExpiry(in: soonestExpiry, before: settings.renewInterval)
            // Leases renewed now live at least until `sent` + TTL.
            let renewed = try await renew(Array(state.held.keys.sorted()))
            for (bot, kept) in renewed where !kept {
                state.held[bot] = nil
                Counter(label: "botmaster_cluster_leases_lost_total").increment()
                logger.warning("lost a bot's lease to another member", metadata: ["bot": "\(bot)"])
            }
            state.watch.renewed(at: sent)
            state.error = nil
            let assignment = RendezvousAssignment.assign(
                bots: candidates, members: members.map { RendezvousAssignment.Member(node: $0.node, capacity: $0.capacity) })
            let running = await supervisor.botsWithProcess()
            let leaving = state.held.keys.filter { assignment[$0] != settings.node }
            let released = leaving.filter { !running.contains($0) } + state.forsaken.filter { assignment[$0] != settings.node }
            if !released.isEmpty {
                try await release(released)
                for bot in released {
                    state.held[bot] = nil
                    state.published[bot] = nil
                }
                logger.info("released leases of bots that moved", metadata: ["bots": "\(released.sorted().joined(separator: ","))"])
            }
            state.forsaken = []
            var carried: [String: [UInt8]] = [:]
            if !(await supervisor.isShuttingDown) {
                for bot in assignment.filter({ $0.value == settings.node }).keys.sorted() where state.held[bot] == nil {
                    let acquisition = try await acquire(bot)
                    guard case .taken(let epoch, let previous, let accounting) = acquisition else {
                        // Its old owner's membership expired a moment before its lease.
                        if case .held(let left) = acquisition { state.expectExpiry(in: left, before: settings.renewInterval) }
                        continue
                    }
                    state.held[bot] = epoch
                    if !accounting.isEmpty { carried[bot] = accounting }
                    state.published[bot] = accounting
                    if !previous.isEmpty && previous != settings.node {
                        Counter(label: "botmaster_cluster_takeovers_total").increment()
                        logger.notice("took a bot over", metadata: ["bot": "\(bot)", "from": "\(previous)", "epoch": "\(epoch)"])
                    }
                }
            }
            // Bots that move away keep their lease (renewed) while their worker drains.
            var owned = state.held
            for bot in leaving { owned[bot] = nil }
            if state.watch.takeLapse() {
                // This round took so long that the watchdog fenced meanwhile: the leases it
                // renewed may expire before the next round, so nothing starts on them now.
                state.forsake()
                owned = [:]
            }
            await supervisor.setOwnership(owned, carried: carried)
            try await carryAccounting(&state)
            await supervisor.recordCluster(try await view(members: members, candidates: candidates, ok: true, error: nil))
        } catch {
            if state.error == nil {
                logger.error("cannot renew cluster membership and leases", metadata: ["error": "\(error)", "node": "\(settings.node)"])
            }
            state.error = "\(error)"
            var view = ClusterStatus(
                node: settings.node, leaseTTLMs: settings.leaseTTL.millisecondsClamped, observedMs: WallClock.nowMilliseconds(), ok: false,
                error: "\(error)")
            view.members = [ClusterMember(node: settings.node, address: address, capacity: capacity, renewedMs: 0, fleetDigest: "")]
            view.members[0].bots = state.held.sorted { $0.key < $1.key }.map { ClusterLease(bot: $0.key, epoch: $0.value) }
            await supervisor.recordCluster(view)
        }
    }

    // MARK: Redis steps

    /// Renews this member; returns the live members and how soon the first other member's
    /// membership expires unless it renews.
    private func heartbeat(digest: String) async throws -> (members: [ClusterMember], soonestExpiry: Duration?) {
        let info = MemberInfo(address: address, capacity: capacity, digest: digest, ttlMs: settings.leaseTTL.millisecondsClamped)
        let json = try JSONEncoder().encode(info)
        let reply = try await ClusterScripts.heartbeat.run(
            on: client,
            arguments: [
                bytes(keys.members), bytes(keys.info), bytes(settings.node), bytes("\(settings.leaseTTL.millisecondsClamped)"),
                Array(json),
            ])
        let flat = reply.array ?? []
        var members: [ClusterMember] = []
        var expiries: [String: Int64] = [:]
        for index in stride(from: 0, to: flat.count - 2, by: 3) {
            guard let node = flat[index].string, let expiry = flat[index + 1].string.flatMap({ Double($0) }),
                case .bulk(let raw) = flat[index + 2], let info = try? JSONDecoder().decode(MemberInfo.self, from: Data(raw))
            else { continue }
            expiries[node] = Int64(expiry)
            members.append(
                ClusterMember(
                    node: node, address: info.address, capacity: info.capacity, renewedMs: Int64(expiry) - info.ttlMs,
                    fleetDigest: info.digest))
        }
        // Our own entry was just set to Redis's now + TTL: the others' expiries, measured from
        // it, say how soon each expires unless renewed (a live member renews long before).
        var soonest: Duration?
        if let own = expiries[settings.node] {
            let now = own - settings.leaseTTL.millisecondsClamped
            for (node, expiry) in expiries where node != settings.node {
                let left = Duration.milliseconds(max(expiry - now, 0))
                soonest = min(soonest ?? left, left)
            }
        }
        return (members, soonest)
    }

    private func renew(_ bots: [String]) async throws -> [(String, Bool)] {
        guard !bots.isEmpty else { return [] }
        let reply = try await ClusterScripts.renew.run(
            on: client,
            arguments: [bytes(keys.prefix), bytes(settings.node), bytes("\(settings.leaseTTL.millisecondsClamped)")] + bots.map(bytes))
        let kept = (reply.array ?? []).map { $0.integer == 1 }
        return zip(bots, kept + Array(repeating: false, count: max(0, bots.count - kept.count))).map { ($0, $1) }
    }

    /// What taking a bot's lease came to.
    enum Acquisition {
        /// Ours now, with a new epoch; `previous` owned it before; its carried accounting.
        case taken(epoch: Int64, previous: String, accounting: [UInt8])
        /// Another member still holds it, for `expiresIn` unless renewed.
        case held(expiresIn: Duration?)
    }

    private func acquire(_ bot: String) async throws -> Acquisition {
        let reply = try await ClusterScripts.acquire.run(
            on: client,
            arguments: [bytes(keys.prefix), bytes(settings.node), bytes("\(settings.leaseTTL.millisecondsClamped)"), bytes(bot)])
        guard let parts = reply.array, parts.count == 3, let epoch = parts[0].integer, epoch > 0 else {
            let left = reply.array.flatMap { $0.count == 3 ? $0[2].integer : nil }.flatMap { $0 >= 0 ? Duration.milliseconds($0) : nil }
            return .held(expiresIn: left)
        }
        guard case .bulk(let accounting) = parts[2] else { return .taken(epoch: epoch, previous: parts[1].string ?? "", accounting: []) }
        return .taken(epoch: epoch, previous: parts[1].string ?? "", accounting: accounting)
    }

    /// Publishes the restart accounting of owned bots that changed since it was last
    /// published, so the next owner of each continues from it.
    private func carryAccounting(_ state: inout ClusterState) async throws {
        guard let (generation, bots) = await supervisor.accountingToCarry(unlessAt: state.accountingGeneration) else { return }
        let changed = bots.filter { state.published[$0.key] != $0.value }.sorted { $0.key < $1.key }
        if !changed.isEmpty {
            _ = try await ClusterScripts.carryAccounting.run(
                on: client, arguments: [bytes(keys.prefix), bytes(settings.node)] + changed.flatMap { [bytes($0.key), $0.value] })
            for (bot, json) in changed { state.published[bot] = json }
        }
        state.accountingGeneration = generation
    }

    private func release(_ bots: [String]) async throws {
        _ = try await ClusterScripts.release.run(on: client, arguments: [bytes(keys.prefix), bytes(settings.node)] + bots.map(bytes))
    }

    /// The status view: each member's leases and epochs, the bots no one holds, and a warning
    /// when members' fleet digests differ.
    private func view(members: [ClusterMember], candidates: [String], ok: Bool, error: String?) async throws -> ClusterStatus {
        var view = ClusterStatus(
            node: settings.node, leaseTTLMs: settings.leaseTTL.millisecondsClamped, observedMs: WallClock.nowMilliseconds(), ok: ok,
            error: error, members: members)
        if !candidates.isEmpty {
            let leases = try await client.command(["MGET"] + candidates.map(keys.lease)).array ?? []
            let epochs = try await client.command(["MGET"] + candidates.map(keys.epoch)).array ?? []
            for (index, bot) in candidates.enumerated() {
                guard index < leases.count, let holder = leases[index].string,
                    let member = view.members.firstIndex(where: { $0.node == holder })
                else {
                    view.waiting.append(bot)
                    continue
                }
                let epoch = index < epochs.count ? epochs[index].string.flatMap { Int64($0) } ?? 0 : 0
                view.members[member].bots.append(ClusterLease(bot: bot, epoch: epoch))
            }
        }
        let digests = Set(members.map(\.fleetDigest))
        if digests.count > 1 {
            let groups = Dictionary(grouping: members, by: \.fleetDigest).values.map { $0.map(\.node).sorted().joined(separator: ", ") }
            view.warnings.append("members disagree about the fleet (different fleet digests): " + groups.sorted().joined(separator: " | "))
        }
        return view
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}

/// What the loop remembers between rounds.
struct ClusterState {
    /// The leases this master holds, with their epochs (bots draining away included).
    var held: [String: Int64] = [:]
    /// When the last successful renewal was sent, shared with the self-fencing watchdog.
    let watch = RenewalWatch()
    /// The last failure, logged once.
    var error: String?
    /// The supervisor's accounting generation last published, and what was published (or
    /// found at acquisition) per bot.
    var accountingGeneration = -1
    var published: [String: [UInt8]] = [:]
    /// Leases held when the master fenced itself, to give up at the next successful round
    /// when their bot is assigned elsewhere.
    var forsaken: [String] = []
    /// When the next round should come sooner than the interval: just after a membership or
    /// lease expires that this master is waiting for.
    var earlyRound: Duration?

    /// Notes a membership or lease expiring in `left`; one that expires before the next regular
    /// round (`interval`) brings the next round forward to just after it. The margin covers the
    /// moment between a member's heartbeat and its lease renewal in its last round.
    mutating func expectExpiry(in left: Duration?, before interval: Duration) {
        guard let left, left < interval else { return }
        let wake = left + .milliseconds(100)
        earlyRound = min(earlyRound ?? wake, wake)
    }

    /// Forgets the leases held (the workers were killed): none is renewed any more.
    mutating func forsake() {
        forsaken += held.keys
        held = [:]
    }
}

/// What a member publishes about itself.
struct MemberInfo: Codable {
    var address: String
    var capacity: Int
    var digest: String
    var ttlMs: Int64

    enum CodingKeys: String, CodingKey {
        case address, capacity, digest
        case ttlMs = "ttl_ms"
    }
}

/// When the last successful renewal was sent (the leases live at least a TTL after it), and
/// whether the watchdog has found it too old since.
final class RenewalWatch: Sendable {
    private let state = Mutex<(last: MonotonicTime, lapsed: Bool)>((MonotonicTime.now(), false))

    func renewed(at sent: MonotonicTime) {
        state.withLock { $0 = (max($0.last, sent), false) }
    }

    /// True once when the last renewal has become older than `limit`, until the next renewal.
    func lapsed(after limit: Duration) -> Bool {
        state.withLock { state in
            guard !state.lapsed, MonotonicTime.now() - state.last >= limit else { return false }
            state.lapsed = true
            return true
        }
    }

    /// Whether a lapse happened since the last call (and forgets it).
    func takeLapse() -> Bool {
        state.withLock { state in
            defer { state.lapsed = false }
            return state.lapsed
        }
    }
}
