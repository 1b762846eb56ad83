import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Dispatch
import Glibc
import Logging
import NIOCore
import NIOPosix

/// Runs the fleet: spawns a process per enabled bot, watches each (hello, heartbeats, exits,
/// memory), restarts by the restart policy, and stops them all on shutdown.
///
/// One task — ``run()`` — owns all fleet state and handles ``SupervisorEvent``s in order. The
/// I/O threads only decode frames and post events; the control socket calls the actor's
/// methods, which run between events.
public actor Supervisor {
    let configuration: SupervisorConfiguration
    let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let events: AsyncStream<SupervisorEvent>
    let eventSink: AsyncStream<SupervisorEvent>.Continuation
    /// Webhook requests waiting for their worker's answer.
    public nonisolated let webhookAcks = WebhookAcks()
    /// Where each bot's webhook deliveries go, read by the HTTP threads without an actor hop.
    public nonisolated let webhookRoutes: WebhookRoutes
    /// Every bot the fleet defines (enabled or not) and its mode: a webhook bot without a
    /// running worker answers 503, not 404.
    var definedBotModes: [String: BotSettings.Mode] = [:]
    /// The bots the fleet defines with `enabled = false`: shown in status as `disabled`, never
    /// started.
    var disabledBots: Set<String> = []
    /// `botmaster dlq` actions waiting for their worker's answer.
    nonisolated let deadLetterReplies = WorkerReplies<DeadLetterReply>()
    /// `botmaster broadcast` actions waiting for their worker's answer.
    nonisolated let broadcastReplies = WorkerReplies<BroadcastReply>()
    private let startedAt = MonotonicTime.now()

    var workers: [String: ManagedWorker] = [:]
    private var workerIDByPID: [pid_t: String] = [:]
    var shuttingDown = false
    private var ticks = 0
    /// Whether a ``SupervisorEvent/startGraceEnded`` is on its way.
    var startGraceTimerArmed = false
    var reloadCount = 0
    /// Restart accounting changed since it was last saved.
    var accountingDirty = false {
        didSet { if accountingDirty { accountingGeneration &+= 1 } }
    }
    /// Counts changes of the restart accounting, so cluster mode publishes it only when it
    /// changed (``accountingToCarry(unlessAt:)``).
    var accountingGeneration = 0
    /// Cluster mode: the accounting the previous owners left for bots this master has just
    /// taken, restored when their worker record is made.
    var carriedAccounting: [String: CarriedAccounting] = [:]
    var readyNotified = false
    /// Whether the last protocol worker started got no heartbeat page: said once when pages
    /// fail and once when they come back, not for each of a thousand workers.
    private var heartbeatPagesFailing = false
    /// The state counts the status line last told systemd.
    var lastStateCounts = WorkerStateCounts()
    var lastWatchdogPing = MonotonicTime(nanoseconds: 0)
    var lastReload: ReloadRecord?
    /// The bots of the HTTP fleet source in the fleet now: the last good answer.
    var sourcedBots: [SourcedBot]
    /// The fleet source's state for status, when there is a source.
    var fleetSource: FleetSourceStatus?
    /// Asks the fleet source at once and applies its answer; set when there is a source.
    var fleetSourceRefresh: (@Sendable () async -> FleetSourceOutcome)?
    /// Cluster mode: the bots this master holds leases for, with their fencing epochs; it runs
    /// only these. `nil` outside cluster mode (it runs the whole fleet).
    var clusterOwnership: [String: Int64]?
    /// The fleet's enabled bots as last loaded, owned here or not: what the cluster assigns.
    var enabledDefinitions: [WorkerDefinition] {
        didSet {
            relayedBots = Self.relayedBots(of: enabledDefinitions, environment: configuration.environment)
            fleetDigestCache = nil
        }
    }
    /// Cluster mode: the fleet digest of ``enabledDefinitions``, computed once per change.
    var fleetDigestCache: String?
    /// Cluster mode: the webhook bots whose deliveries any master relays (``WebhookRoutes/Target/relayed``).
    var relayedBots: Set<String>
    /// Cluster mode's view for status, as the cluster service last read it.
    var clusterView: ClusterStatus?
    /// Bots not yet started at start-up, in the order they start.
    var pendingStarts: [String] = []
    /// The bots of the fleet's start, whose counters are registered once no worker is starting
    /// any more (``registerStartedBotsMetrics(_:)``).
    private var botsAwaitingMetrics: [String] = []
    /// Whether ``run()`` has cleaned up after a previous master and begun the fleet: cluster
    /// mode hands over ownership only after that (a worker started earlier could be taken for
    /// a stale one, or be started twice).
    public private(set) var hasStarted = false
    private var fleetStartBegan = MonotonicTime.now()
    /// The members of the workers' process groups, listed at most once per memory interval.
    private var groupListing = ProcessGroupListing()
    /// When status last took the heartbeats on every worker's page.
    private var lastStatusPageLook = MonotonicTime(nanoseconds: 0)

    /// Workers started per `.continueStart` event. Starting in slices lets the hellos of the
    /// first workers be answered while the rest are still being spawned.
    static let startSliceSize = 32

    public init(configuration: SupervisorConfiguration, logger: Logger, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.webhookRoutes = WebhookRoutes(fleet: configuration.fleet)
        self.definedBotModes = Self.botModes(of: configuration.fleet)
        self.disabledBots = Set(configuration.fleet.filter { !$0.enabled }.map(\.id))
        self.sourcedBots = configuration.sourcedBots
        self.enabledDefinitions = configuration.fleet.filter(\.enabled)
        self.relayedBots = Self.relayedBots(of: configuration.fleet, environment: configuration.environment)
        self.clusterOwnership = configuration.settings.cluster == nil ? nil : [:]
        self.fleetSource = configuration.settings.fleetSource.map {
            FleetSourceStatus(url: $0.displayURL, bots: configuration.sourcedBots.count)
        }
        (events, eventSink) = AsyncStream.makeStream(of: SupervisorEvent.self)
    }

    /// The build's version, for status.
    public static let version = "0.1.0"

    // MARK: Running

    /// Cleans up after a previous master, starts the fleet, supervises it until ``shutdown()``
    /// and returns once every worker has stopped.
    public func run() async {
        Processes.ignoreBrokenPipeSignal()
        // An inherited SIG_IGN for SIGCHLD would make the kernel reap children itself, and the
        // master would never learn why a worker ended.
        _ = signal(SIGCHLD, SIG_DFL)
        try? FileSystem.createDirectory(configuration.layout.workerPIDDirectory, mode: 0o700)
        try? FileSystem.createDirectory(configuration.layout.logsDirectory, mode: 0o750)
        await StaleWorkerCleaner.clean(layout: configuration.layout, logger: logger)

        let sink = eventSink
        let childSignals = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: .global())
        childSignals.setEventHandler { sink.yield(.childrenExited) }
        childSignals.resume()
        let interval = configuration.tickInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                sink.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            childSignals.cancel()
        }

        let now = MonotonicTime.now()
        let memoryInterval = configuration.settings.memoryCheckInterval
        // In cluster mode nothing starts before the cluster service holds a bot's lease.
        for (index, definition) in configuration.fleet.enumerated() where definition.enabled && clusterOwnership == nil {
            // Spread memory samples evenly over the interval rather than reading every /proc
            // file in the same tick.
            workers[definition.id] = makeRecord(definition, now: now + memoryInterval * (Double(index % 64) / 64.0))
        }
        restoreAccounting(now: now)
        logger.info("starting fleet", metadata: ["workers": "\(workers.count)"])
        pendingStarts = workers.keys.sorted().filter { workers[$0]?.lifecycle.state != .errored }
        fleetStartBegan = .now()
        hasStarted = true
        // The routes as they are now: in cluster mode a member that owns nothing yet relays
        // every bot's deliveries from the start (until now they answered 503, and nothing
        // would refresh them before the periodic backstop, up to 2 s later).
        syncAllRoutes()
        eventSink.yield(.continueStart)

        // The loop runs in a task of its own, which the service's cancellation does not reach:
        // if the service group is torn down (another service failed), the fleet must still be
        // drained and reaped, not abandoned halfway.
        let loop = Task { await processEvents() }
        await loop.value
        saveAccounting()
        for worker in workers.values { worker.log.close() }
        logger.info("fleet stopped")
    }

    /// A new bot's record. Its metrics are the caller's to register
    /// (``SupervisorMetrics/botsJoined(_:)``).
    func makeRecord(_ definition: WorkerDefinition, now: MonotonicTime) -> ManagedWorker {
        ManagedWorker(
            definition: definition,
            lifecycle: WorkerLifecycle(speaksProtocol: definition.workerProtocol == .botmaster, limits: definition.limits, now: now),
            log: RotatingLogFile(
                path: configuration.layout.workerLog(definition.id),
                maximumBytes: configuration.settings.logMaxBytes,
                filesKept: configuration.settings.logFilesKept),
            nextMemoryCheck: now)
    }

    private func processEvents() async {
        for await event in events {
            await handle(event)
            if shuttingDown && !workers.values.contains(where: { $0.lifecycle.hasProcess }) { return }
        }
    }

    /// Starts a graceful shutdown: every worker is drained (or sent SIGTERM), then killed at
    /// its stop timeout; ``run()`` returns when all are gone.
    public nonisolated func shutdown() {
        eventSink.yield(.shutdown)
    }

    // MARK: Control

    /// The fleet as `status` shows it; with `only`, the master line and that one worker.
    public func status(only: String? = nil) -> FleetStatus {
        let now = MonotonicTime.now()
        let ids = only.map { [$0] } ?? workers.keys.sorted()
        // Heartbeats on the pages are taken here too, so the counters are as fresh as the
        // workers' last writes; for the whole fleet at most once a tick, so a status poller
        // does not look at 1,000 pages per request.
        let lookAtPages = only != nil || now - lastStatusPageLook >= configuration.tickInterval
        if only == nil, lookAtPages { lastStatusPageLook = now }
        var rows = ids.compactMap { id -> WorkerStatus? in
            guard let worker = workers[id] else { return nil }
            if lookAtPages { takePageHeartbeat(of: worker, now: now) }
            let heartbeat = worker.stats.heartbeat
            let lastProof = [worker.lifecycle.lastHeartbeat, worker.stats.receivedAt].compactMap { $0 }.max()
            let usage = worker.pid == nil ? nil : worker.usage
            return WorkerStatus(
                id: id,
                pid: worker.pid,
                state: worker.lifecycle.state.rawValue,
                restarts: worker.lifecycle.restartCount,
                lastExit: worker.lifecycle.lastExit?.description,
                uptimeMs: worker.pid == nil ? nil : worker.lifecycle.startedAt.map { (now - $0).millisecondsClamped },
                rssBytes: usage?.group.memory.rss,
                messages: heartbeat?.messages ?? 0,
                errors: heartbeat?.errors ?? 0,
                lastHeartbeatMsAgo: worker.pid == nil ? nil : lastProof.map { (now - $0).millisecondsClamped },
                memoryLimitBytes: worker.definition.limits.memoryBytes,
                pssBytes: usage?.group.memory.pss,
                ussBytes: usage?.group.memory.uss,
                cpuPercent: usage?.cpuPercent.map { ($0 * 10).rounded() / 10 },
                cpuSeconds: usage.map { (Double($0.group.cpuTicks) / Double(ProcFS.ticksPerSecond) * 100).rounded() / 100 },
                processes: usage?.group.processes,
                bot: worker.pid == nil ? nil : heartbeat.flatMap { BotCounters(heartbeatExtra: $0.extra) })
        }
        // Disabled bots are part of the fleet too; an operator looks for them here (once a
        // worker that was just disabled has stopped: until then its own row says `stopping`).
        for id in disabledBots.sorted() where (only == nil || only == id) && workers[id] == nil {
            rows.append(
                WorkerStatus(
                    id: id, pid: nil, state: WorkerStatus.disabledState, restarts: 0, lastExit: nil, uptimeMs: nil, rssBytes: nil,
                    messages: 0, errors: 0, lastHeartbeatMsAgo: nil))
        }
        if only == nil { rows.sort { $0.id < $1.id } }
        return FleetStatus(
            master: MasterStatus(
                pid: Processes.currentID,
                uptimeMs: (now - startedAt).millisecondsClamped,
                version: Self.version,
                workersTotal: workers.count,
                workersRunning: workers.values.filter { $0.lifecycle.state == .running }.count,
                reloads: reloadCount,
                lastReload: lastReload.map { ReloadStatus(atMs: $0.wallClockMs, ok: $0.succeeded, message: $0.message) },
                fleetSource: fleetSource, cluster: clusterView),
            workers: rows)
    }

    /// An operator's `restart <id>`: drains and restarts a live worker, or starts an `errored`,
    /// `stopped` or `backoff` one now, with a fresh restart allowance.
    /// - Returns: `nil` on success, or why it could not be done.
    public func restart(_ id: String) async -> String? {
        if let problem = problemReaching(id) { return problem }
        logger.notice("restart requested by operator", metadata: ["bot": "\(id)"])
        let actions = workers[id]!.lifecycle.operatorRestart(at: .now())
        accountingDirty = true
        await perform(actions, for: id)
        return nil
    }

    /// An operator's `stop <id>`: drains the bot's worker and leaves it `stopped` (run state,
    /// as `supervisorctl stop`: the next start of the master starts it again; `disable` is for
    /// good).
    /// - Returns: `nil` on success, or why it could not be done.
    public func stopBot(_ id: String) async -> String? {
        if let problem = problemReaching(id) { return problem }
        logger.notice("stop requested by operator", metadata: ["bot": "\(id)"])
        let actions = workers[id]!.lifecycle.stop(at: .now(), reason: "stopped by operator")
        await perform(actions, for: id)
        return nil
    }

    /// An operator's `start <id>`: starts a `stopped`, `backoff` or `errored` bot now, with a
    /// fresh restart allowance; a bot that runs already is left alone.
    /// - Returns: `nil` on success (started or already up), or why it could not be done.
    public func startBot(_ id: String) async -> String? {
        if let problem = problemReaching(id) { return problem }
        guard let worker = workers[id], !worker.lifecycle.hasProcess else { return nil }
        logger.notice("start requested by operator", metadata: ["bot": "\(id)"])
        let actions = worker.lifecycle.operatorRestart(at: .now())
        accountingDirty = true
        await perform(actions, for: id)
        return nil
    }

    /// Why an operator's request about one bot cannot be carried out, or `nil`.
    private func problemReaching(_ id: String) -> String? {
        if disabledBots.contains(id) {
            return "bot \(id) is disabled (enabled = false in its definition); `botmaster enable \(id)` starts it"
        }
        guard workers[id] != nil else { return "unknown bot id \"\(id)\"" }
        guard !shuttingDown else { return "the master is shutting down" }
        return nil
    }

    // MARK: Events

    private func handle(_ event: SupervisorEvent) async {
        await react(to: event)
        if let id = event.workerID { refreshRoute(id) }
    }

    private func react(to event: SupervisorEvent) async {
        switch event {
        case .hello(let id, let pid, let hello):
            guard let worker = workers[id], worker.pid == pid else { return }
            worker.lifecycle.helloReceived(at: .now())
            logger.info("worker running", metadata: ["bot": "\(id)", "pid": "\(pid)", "runtime": "\(hello.runtime)"])
            let welcome = Welcome(
                heartbeatIntervalMs: Int(worker.definition.limits.heartbeatInterval.millisecondsClamped),
                logLevel: worker.definition.logLevel ?? configuration.settings.logLevel,
                settings: worker.definition.bot?.jsonObject ?? [:])
            send(MasterMessage.welcome(welcome).frame(), to: worker.channel)
        case .protocolViolation(let id, let pid, let reason):
            guard workers[id]?.pid == pid else { return }
            logProtocolViolation(id: id, pid: pid, reason: reason)
            // Closed already when the channel carried the bad frame; open when the heartbeat
            // page did.
            workers[id]!.channel?.close(promise: nil)
            workers[id]!.channel = nil
            await perform(workers[id]!.lifecycle.protocolViolated(reason, at: .now()), for: id)
        case .sourceChanged:
            break  // `handle` refreshes the bot's route after every event about it.
        case .channelClosed(let id, let pid):
            guard workers[id]?.pid == pid else { return }
            workers[id]!.channel = nil
            // Usually the process has just exited and SIGCHLD is on its way; reap first so the
            // exit is recorded as what it was.
            await reap()
            if workers[id]?.pid == pid, workers[id]!.definition.workerProtocol == .botmaster {
                workers[id]!.channelClosedAt = .now()
            }
        case .channelAttached(let id, let pid, let channel):
            if let worker = workers[id], worker.pid == pid {
                worker.channel = channel
            } else {
                channel.close(promise: nil)  // it already exited and was reaped meanwhile
            }
        case .childrenExited:
            await reap()
        case .tick:
            // SIGCHLD does the reaping; this is the backstop for a lost signal. Every 8th tick
            // only, because waitpid(-1) scans all of the master's children in the kernel.
            ticks &+= 1
            if ticks % 8 == 0 {
                await reap()
                syncAllRoutes()
            }
            let counts = await checkDeadlines()
            registerStartedBotsMetrics(counts)
            saveAccounting()
            notifyServiceManager(counts)
        case .startGraceEnded:
            await startGracesEnded()
        case .continueStart:
            guard !shuttingDown else {
                pendingStarts.removeAll()
                return
            }
            let slice = pendingStarts.prefix(Self.startSliceSize)
            pendingStarts.removeFirst(slice.count)
            spawnAll(slice)
            if pendingStarts.isEmpty {
                logger.info(
                    "fleet spawned",
                    metadata: ["workers": "\(workers.count)", "ms": "\((MonotonicTime.now() - fleetStartBegan).millisecondsClamped)"])
                botsAwaitingMetrics = Array(workers.keys)
            } else {
                eventSink.yield(.continueStart)
            }
        case .shutdown:
            await beginShutdown()
        }
    }

    private func reap() async {
        for (pid, status) in Processes.reapExitedChildren() {
            guard let id = workerIDByPID.removeValue(forKey: pid), let worker = workers[id] else { continue }
            // The worker's own children go with it: its process group is ours to clean.
            try? Processes.send(SIGKILL, toGroup: pid)
            FileSystem.removeFile(configuration.layout.workerPIDFile(id))
            worker.channel?.close(promise: nil)
            worker.channel = nil
            worker.pid = nil
            worker.channelClosedAt = nil
            worker.usage = nil
            worker.counterFiles = nil
            // A violation whose event is still queued (this reap ran first, from SIGCHLD or the
            // backstop, as the worker exited on the channel's close) is what ended the worker.
            if let reason = worker.stats.violationReported, !worker.lifecycle.protocolViolated(reason, at: .now()).isEmpty {
                logProtocolViolation(id: id, pid: pid, reason: reason)
            }
            let wasStopping = worker.lifecycle.state == .stopping
            var actions = worker.lifecycle.exited(status, at: .now())
            if clusterOwnership != nil, status == .exited(code: WorkerExitCode.fenced) {
                // Its store refused a step: another master owns the bot now. Not restarted
                // here; the cluster service takes the bot back if the assignment says so.
                actions = worker.lifecycle.stop(at: .now(), reason: "fenced")
                clusterOwnership?[id] = nil
                worker.retiring = true
                SupervisorMetrics.fencingRefused()
                logger.warning("worker fenced: another master owns the bot now", metadata: ["bot": "\(id)"])
            }
            let state = worker.lifecycle.state
            if state == .backoff || state == .errored, let reason = worker.lifecycle.lastExit {
                worker.remember(reason)
                if state == .backoff { SupervisorMetrics.restartScheduled(bot: id, reason: reason) }
            }
            logExit(id: id, pid: pid, status: status, worker: worker, wasStopping: wasStopping)
            await perform(actions, for: id)
            if worker.retiring { retire(id) }
            refreshRoute(id)
            accountingDirty = true
        }
    }

    /// The one log line of a protocol violation, whichever path (its event, or the exit reaped
    /// before it) handles it.
    private func logProtocolViolation(id: String, pid: pid_t, reason: String) {
        logger.error("worker broke the protocol; restarting it", metadata: ["bot": "\(id)", "pid": "\(pid)", "reason": "\(reason)"])
    }

    private func logExit(id: String, pid: pid_t, status: ExitStatus, worker: ManagedWorker, wasStopping: Bool) {
        var metadata: Logger.Metadata = ["bot": "\(id)", "pid": "\(pid)", "status": "\(status)"]
        switch worker.lifecycle.state {
        case .stopped:
            logger.info("worker stopped", metadata: metadata)
        case .errored:
            metadata["restarts_in_window"] = "\(worker.lifecycle.recentRestarts)"
            logger.error(
                "worker restarted too often; giving up until `botmaster restart \(id)`", metadata: metadata)
        case .backoff, .starting:
            metadata["reason"] = "\(worker.lifecycle.lastExit?.description ?? "exit")"
            if let at = worker.lifecycle.restartAt {
                metadata["restart_in_ms"] = "\(max((at - .now()).millisecondsClamped, 0))"
            }
            if wasStopping {
                logger.info("worker ended; restarting", metadata: metadata)
            } else {
                logger.warning("worker exited unexpectedly; restarting", metadata: metadata)
            }
        case .running, .stopping:
            break
        }
    }

    /// One pass over the workers, four times a second: heartbeat and state deadlines, closed
    /// channels and memory samples. A worker starting, stopping or waiting to restart is looked
    /// at on every pass; a running one, whose deadlines (its heartbeat timeout, a channel closed
    /// under it, its memory sample) are seconds apart, on one pass in ``runningLookEvery``, in
    /// turn with the others: about once a second. It runs with the fleet idle too, so what it
    /// does for a worker with nothing due is kept to a few loads (no copies, no hashing, no
    /// allocation): with 1,000 idle workers, looking at each on every pass was a third of the
    /// master's CPU, almost all of it cache misses. Returns the workers' state counts.
    private func checkDeadlines() async -> WorkerStateCounts {
        let now = MonotonicTime.now()
        var counts = WorkerStateCounts()
        for (position, worker) in workers.values.enumerated() {
            defer { counts.add(worker.lifecycle.state) }
            // Positions shift when bots are added or removed; a running worker then waits at
            // most one more round.
            if worker.lifecycle.state == .running, (position &+ ticks) % Self.runningLookEvery != 0 { continue }
            takePageHeartbeat(of: worker, now: now, notBefore: worker.lifecycle.limits.heartbeatInterval - configuration.tickInterval / 2)
            if let heard = worker.stats.receivedAt, heard > (worker.lifecycle.lastHeartbeat ?? MonotonicTime(nanoseconds: 0)) {
                worker.lifecycle.heartbeatReceived(at: heard)
            }
            var actions = worker.lifecycle.tick(now: now)
            if let closedAt = worker.channelClosedAt, now - closedAt > .seconds(2), worker.lifecycle.state != .stopping {
                worker.channelClosedAt = nil
                actions += worker.lifecycle.protocolViolated("closed its IPC channel but kept running", at: now)
            }
            if let pid = worker.pid, now >= worker.nextMemoryCheck {
                worker.nextMemoryCheck = now + configuration.settings.memoryCheckInterval
                // Not while the fleet is being spawned: the samples (a /proc walk each) would
                // hold back the spawning, and a worker that has just started has no growth to
                // catch. Skipped, not postponed, so each worker keeps its place in the interval
                // (postponed, they would all fall due in the same tick after the start).
                if pendingStarts.isEmpty { actions += sampleUsage(of: worker, id: worker.definition.id, pid: pid, now: now) }
            }
            if !actions.isEmpty {
                let id = worker.definition.id
                logDeadline(actions, id: id, worker: worker)
                await perform(actions, for: id)
            }
        }
        return counts
    }

    /// A running worker is looked at on one pass in this many.
    static let runningLookEvery = 4

    /// Takes a heartbeat the worker wrote to its page, if there is one and the last one taken
    /// is at least `notBefore` old (the tick looks once the next one is due; status looks
    /// whenever it is asked). A page that holds no heartbeat breaks the protocol, reported as
    /// a bad frame is. Read once the hello has come: a heartbeat before it would break the
    /// protocol on the channel, and on the page it simply waits.
    private func takePageHeartbeat(of worker: ManagedWorker, now: MonotonicTime, notBefore: Duration = .zero) {
        guard worker.stats.page != nil, worker.lifecycle.lastHeartbeat != nil else { return }
        switch worker.stats.readPage(at: now, notBefore: notBefore) {
        case .nothing, .heartbeat(sourceChanged: false):
            break
        case .heartbeat(sourceChanged: true):
            refreshRoute(worker.definition.id)
        case .malformed(let reason):
            guard let pid = worker.pid else { return }
            worker.stats.reportViolation(reason)
            eventSink.yield(.protocolViolation(id: worker.definition.id, pid: pid, reason: reason))
        }
    }

    /// Measures the worker's process group; over the memory cap means a restart.
    private func sampleUsage(of worker: ManagedWorker, id: String, pid: pid_t, now: MonotonicTime) -> [WorkerLifecycle.Action] {
        let members = groupListing.members(of: pid, now: now, maximumAge: configuration.settings.memoryCheckInterval) {
            Set(workers.values.compactMap(\.pid))
        }
        if worker.counterFiles?.pid != pid { worker.counterFiles = ProcessCounterFiles(pid: pid) }
        guard let group = ProcessGroups.usage(of: members, inGroupOf: pid, leaderFiles: worker.counterFiles) else { return [] }
        let cap = worker.definition.limits.memoryBytes
        let exact =
            WorkerUsage.needsExactMemory(group, previous: worker.usage, pid: pid, cap: cap, at: now)
            ? ProcessGroups.exactMemory(of: group.pids) : nil
        let usage = WorkerUsage(pid: pid, group: group, exactMemory: exact, at: now, previous: worker.usage)
        worker.usage = usage
        // The sample's PSS (exact or followed), not the cheap reading's, which has none.
        let used = usage.group.memory.pss
        let actions = worker.lifecycle.memorySampled(used: used, at: now)
        if !actions.isEmpty {
            logger.warning(
                "worker over its memory cap; restarting it gracefully",
                metadata: [
                    "bot": "\(id)", "pid": "\(pid)", "memory": "\(ByteSizeText.format(used))",
                    "processes": "\(group.processes)", "cap": "\(ByteSizeText.format(worker.definition.limits.memoryBytes))",
                ])
        }
        return actions
    }

    private func logDeadline(_ actions: [WorkerLifecycle.Action], id: String, worker: ManagedWorker) {
        let metadata: Logger.Metadata = ["bot": "\(id)", "pid": "\(worker.pid.map { "\($0)" } ?? "-")"]
        for action in actions {
            switch action {
            case .terminate where worker.lifecycle.state == .stopping:
                logger.warning("worker unresponsive; sending SIGTERM", metadata: metadata)
            case .kill:
                logger.warning("worker did not stop within its stop timeout; sending SIGKILL", metadata: metadata)
            default:
                break
            }
        }
    }

    private func beginShutdown() async {
        guard !shuttingDown else { return }
        shuttingDown = true
        configuration.notify?("STOPPING=1\nSTATUS=stopping \(workers.values.filter { $0.lifecycle.hasProcess }.count) workers")
        logger.notice("shutting down the fleet", metadata: ["workers": "\(workers.values.filter { $0.lifecycle.hasProcess }.count)"])
        let now = MonotonicTime.now()
        for id in workers.keys.sorted() {
            await perform(workers[id]!.lifecycle.stop(at: now), for: id)
        }
        syncAllRoutes()
    }

    // MARK: Actions

    func perform(_ actions: [WorkerLifecycle.Action], for id: String) async {
        for action in actions {
            switch action {
            case .spawn:
                if shuttingDown {
                    _ = workers[id]?.lifecycle.stop(at: .now())
                } else {
                    await spawn(id)
                }
            case .drain(let reason):
                guard let worker = workers[id] else { continue }
                if let channel = worker.channel {
                    let drain = Drain(deadlineMs: Int(worker.definition.limits.stopTimeout.millisecondsClamped), reason: reason)
                    send(MasterMessage.drain(drain).frame(), to: channel)
                } else if let pid = worker.pid {
                    try? Processes.send(SIGTERM, toGroup: pid)
                }
            case .terminate:
                if let pid = workers[id]?.pid { try? Processes.send(SIGTERM, toGroup: pid) }
            case .kill:
                if let pid = workers[id]?.pid { try? Processes.send(SIGKILL, toGroup: pid) }
            }
        }
        refreshRoute(id)
    }

    nonisolated func send(_ frame: Frame, to channel: (any Channel)?) {
        guard let channel else { return }
        channel.writeAndFlush(ByteBuffer(bytes: frame.encoded()), promise: nil)
    }

    func spawn(_ id: String) async {
        spawnAll([id])
    }

    /// Starts the workers of `ids` together: their `posix_spawn`s run on the spawn threads side
    /// by side (each waits for its child's `exec`), then each is recorded in turn.
    func spawnAll(_ ids: some Sequence<String>) {
        let starting = ids.compactMap { id in workers[id].map { (id: id, worker: $0) } }
        let results = WorkerLauncher.launchAll(
            starting.map { ($0.worker.definition, $0.worker.definition.workerProtocol == .botmaster) }, configuration: configuration)
        for (entry, result) in zip(starting, results) {
            switch result {
            case .success(let launched): record(launched, id: entry.id, worker: entry.worker)
            case .failure(let error): recordSpawnFailure(error, id: entry.id, worker: entry.worker)
            }
        }
    }

    private func record(_ launched: LaunchedWorker, id: String, worker: ManagedWorker) {
        let speaksProtocol = worker.definition.workerProtocol == .botmaster
        worker.pid = launched.pid
        worker.stats = WorkerLiveStats(page: launched.heartbeatPage)
        noteHeartbeatPage(of: launched)
        worker.channelClosedAt = nil
        worker.lifecycle.speaksProtocol = speaksProtocol
        let restartsBefore = worker.lifecycle.restartCount
        worker.lifecycle.spawned(at: .now())
        // A first start changes no counter; a restart does.
        if worker.lifecycle.restartCount != restartsBefore { accountingDirty = true }
        workerIDByPID[launched.pid] = id
        applyNice(to: id)
        if let startTime = ProcFS.startTime(of: launched.pid) {
            try? FileSystem.writeSmallFile(
                configuration.layout.workerPIDFile(id), WorkerPIDFile(pid: launched.pid, startTime: startTime).contents)
        }
        attach(launched, id: id, stats: worker.stats, log: worker.log, logVolume: worker.logVolume)
        if !speaksProtocol { armStartGraceTimer() }
        logger.debug("worker spawned", metadata: ["bot": "\(id)", "pid": "\(launched.pid)"])
    }

    /// The start's bots' counters, off the actor and once no worker is starting: the metrics
    /// registry copies a family's series on every new one, so 1,000 bots' cost about a second
    /// of a core, which neither the spawning nor the last workers' start-up must compete with.
    /// A restart counted before then has made its series already; registering it again
    /// changes nothing.
    private func registerStartedBotsMetrics(_ counts: WorkerStateCounts) {
        guard !botsAwaitingMetrics.isEmpty, pendingStarts.isEmpty, counts[.starting] == 0 else { return }
        let joined = botsAwaitingMetrics
        botsAwaitingMetrics = []
        Task.detached(priority: .utility) { SupervisorMetrics.botsJoined(joined) }
    }

    /// A worker without a page still works (its heartbeats come as frames, one wake-up of the
    /// master each), so this is a warning for the operator of a large fleet, not an error.
    private func noteHeartbeatPage(of launched: LaunchedWorker) {
        if let failure = launched.heartbeatPageFailure {
            guard !heartbeatPagesFailing else { return }
            heartbeatPagesFailing = true
            logger.warning(
                "cannot make heartbeat pages; workers send heartbeats as frames instead, at more CPU for the master",
                metadata: ["error": "\(failure)"])
        } else if launched.heartbeatPage != nil && heartbeatPagesFailing {
            heartbeatPagesFailing = false
            logger.notice("heartbeat pages can be made again")
        }
    }

    private func recordSpawnFailure(_ error: SystemError, id: String, worker: ManagedWorker) {
        logger.error("cannot start worker", metadata: ["bot": "\(id)", "error": "\(error)"])
        // A `.spawn` decided here is left to the next tick: a spawn that failed fails again
        // at once, and a zero cooldown must not turn it into a busy loop.
        _ = worker.lifecycle.spawnFailed("\(error)", at: .now())
        accountingDirty = true
        if let reason = worker.lifecycle.lastExit {
            worker.remember(reason)
            if worker.lifecycle.state == .backoff { SupervisorMetrics.restartScheduled(bot: id, reason: reason) }
        }
    }

    /// Hands the master's ends of the worker's descriptors to the event loop without waiting:
    /// the IPC channel arrives as a `.channelAttached` event that its handler yields when the
    /// channel becomes active, before it can yield anything it reads, so the hello always finds
    /// its channel. (A completion callback on the bootstrap's future may run after the first
    /// read: relying on it lost a welcome now and then.) Not waiting keeps the start of 1000
    /// workers a tight loop.
    private func attach(
        _ launched: LaunchedWorker, id: String, stats: WorkerLiveStats, log: RotatingLogFile, logVolume: WorkerLogVolume
    ) {
        let sink = eventSink
        let acks = webhookAcks
        let deadLetterReplies = self.deadLetterReplies
        let broadcastReplies = self.broadcastReplies
        let logger = self.logger
        let maximumFrameLength = configuration.maximumFrameLength
        NIOPipeBootstrap(group: eventLoopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WorkerOutputHandler(id: id, log: log, volume: logVolume, logger: logger))
                }
            }
            .takingOwnershipOfDescriptor(input: launched.outputFD)
            .whenFailure { error in
                logger.error("cannot read the worker's output", metadata: ["bot": "\(id)", "error": "\(error)"])
            }
        guard let ipcFD = launched.ipcFD else { return }
        let pid = launched.pid
        ClientBootstrap(group: eventLoopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WorkerChannelHandler(
                            id: id, pid: pid, stats: stats, acks: acks, deadLetterReplies: deadLetterReplies,
                            broadcastReplies: broadcastReplies, events: sink, maximumFrameLength: maximumFrameLength))
                }
            }
            .withConnectedSocket(ipcFD)
            .whenFailure { error in
                sink.yield(.protocolViolation(id: id, pid: pid, reason: "cannot attach its IPC channel: \(error)"))
            }
    }
}

extension Duration {
    static func * (lhs: Duration, rhs: Double) -> Duration {
        .nanoseconds(Int64(Double(lhs.nanosecondsClamped) * rhs))
    }
}
