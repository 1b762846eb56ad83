import BotAPI
import BotRedis
import BotmasterIPC
import BotmasterSystem

/// The Redis backend's side of the engine: reading the state at start, taking updates through
/// the intake script, flushing due batches, the job stream's consumer and the retry timer.
extension BotEngine {
    /// Reads the bot's state from Redis (retrying until the server answers), then starts the
    /// consumer. Updates are refused (webhook: 503; polling: not confirmed) until then.
    func startDurably() async {
        guard let durable else { return }
        var snapshot: RedisBotState.Snapshot?
        while snapshot == nil && !Task.isCancelled && !draining {
            do {
                snapshot = try await durable.prepare()
            } catch {
                noteRedisFailure("reading the bot's state", error)
                try? await Task.sleep(for: .milliseconds(min(200 * (1 << min(redisFailures, 4)), 3000)))
            }
        }
        guard let snapshot else { return }
        noteRedisRecovered()
        stats.store.store(BotStats.Store.redis.rawValue, ordering: .relaxed)
        handoffChats = snapshot.handoffChats
        stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed)
        durableOffset = snapshot.offset
        for open in snapshot.openBatches { scheduleBatchCheck(open.chat, after: open.dueIn) }
        armTimer()
        if let next = snapshot.nextRetry { armRetryTimer(after: next) }
        durableReady = true
        log(
            "bot \(botID): state in Redis (\(durable.keys.prefix)*): \(snapshot.openBatches.count) open batches, \(handoffChats.count) chats in handoff"
        )
        consumer = Task { await self.consume(durable) }
    }

    /// Takes updates through the intake script, all in one round trip: one webhook delivery,
    /// or a whole poll. The results are in order; from the first update that could not be kept
    /// on, every result is `.busy`, so the poller confirms none of them and reads them again.
    func acceptDurably(_ updates: [Update], polled: Bool, store: RedisBotState) async -> [UpdateAck.Result] {
        guard durableReady, !draining, jobsInHand < Self.maximumInFlight else { return updates.map { _ in .busy } }
        var items: [RedisBotState.IntakeItem] = []
        var routes: [Route?] = []
        var previous: Int64?
        for update in updates {
            BotStats.add(stats.received)
            let after = updates.count > 1 ? previous : nil
            previous = update.updateID
            guard let message = update.message, let text = message.text else {
                // Nothing to answer; only the offset moves past it.
                items.append(
                    .init(
                        updateID: update.updateID, chatID: 0, messageID: nil, dedupWindowMs: 0, action: .none, after: after,
                        polled: polled))
                routes.append(nil)
                continue
            }
            let chat = message.chat.id
            var thread: Int64?
            if chat == settings.handoff.operatorChatID, let repliedTo = message.replyToMessage?.messageID {
                do {
                    thread = try await store.thread(operatorMessageID: repliedTo)
                } catch {
                    noteRedisFailure("reading handoff state", error)
                    break
                }
            }
            let route = route(message, text: text, updateID: update.updateID, thread: { _ in thread })
            let action: RedisBotState.IntakeAction
            switch route {
            case .ignore: action = .none
            case .job(let job, let change):
                action = .job(job, handoff: change)
                // Later updates of this poll are routed as if this one's change held already.
                applyHandoff(change, chat: job.chatID)
            case .batch:
                let incoming = JobMessage(
                    updateID: update.updateID, messageID: message.messageID, text: text, userID: message.from?.id,
                    firstName: message.from?.firstName, username: message.from?.username, chatType: message.chat.type)
                action = .batch(incoming, settings.batch)
            }
            items.append(
                .init(
                    updateID: update.updateID, chatID: chat, messageID: message.messageID, dedupWindowMs: settings.dedup.windowMs,
                    action: action, after: after, polled: polled))
            routes.append(route)
        }
        let outcomes: [Result<RedisBotState.IntakeOutcome, RedisError>]
        do {
            outcomes = try await store.intake(items)
        } catch {
            outcomes = items.map { _ in .failure(error) }
        }
        var results: [UpdateAck.Result] = []
        var kept = true
        for (index, update) in updates.enumerated() {
            guard index < outcomes.count, case .success(let outcome) = outcomes[index] else {
                if index < outcomes.count, case .failure(let error) = outcomes[index] {
                    // Not kept, so not taken: a webhook delivery gets 503 and comes again, a
                    // polled update is not confirmed and is read again.
                    noteRedisFailure("taking an update", error)
                }
                if index < routes.count, case .job(let job, let change)? = routes[index] { revertHandoff(change, chat: job.chatID) }
                kept = false
                results.append(.busy)
                continue
            }
            if kept {
                noteRedisRecovered()
                noteTaken(update.updateID)
            }
            switch outcome {
            case .duplicate:
                BotStats.add(stats.duplicates)
                results.append(kept ? .duplicate : .busy)
                continue
            case .batched(let dueIn):
                scheduleBatchCheck(items[index].chatID, after: dueIn)
            case .queued:
                if case .batch? = routes[index] { BotStats.add(stats.batches) }
            }
            results.append(kept ? .accepted : .busy)
        }
        armTimer()
        return results
    }

    /// Undoes a handoff change applied ahead of an intake that failed.
    private func revertHandoff(_ change: RedisBotState.HandoffChange?, chat: Int64) {
        switch change {
        case .start?: applyHandoff(.end, chat: chat)
        case .end?: applyHandoff(.start, chat: chat)
        case nil: break
        }
    }

    private func noteTaken(_ updateID: Int64) {
        durableOffset = max(durableOffset ?? 0, updateID + 1)
    }

    func scheduleBatchCheck(_ chat: Int64, after delay: Duration) {
        let at = MonotonicTime.now() + delay
        if let existing = batchDue[chat], existing <= at { return }
        batchDue[chat] = at
        batchDueOrder.insert(DueChat(at: at, chat: chat))
    }

    /// Asks the server to take every batch whose local deadline passed; the server knows the
    /// real deadline (a later message may have moved it) and answers with it.
    func flushDueDurably() async {
        guard let durable else { return }
        let now = MonotonicTime.now()
        var due: [Int64] = []
        while let first = batchDueOrder.min, first.at <= now {
            batchDueOrder.removeMin()
            // Entries replaced by an earlier deadline are skipped.
            if batchDue[first.chat] == first.at {
                batchDue[first.chat] = nil
                due.append(first.chat)
            }
        }
        guard !due.isEmpty else { return }
        let outcomes: [Result<RedisBotState.FlushOutcome, RedisError>]
        do {
            outcomes = try await durable.flush(chatIDs: due)
        } catch {
            outcomes = due.map { _ in .failure(error) }
        }
        for (chat, outcome) in zip(due, outcomes) {
            switch outcome {
            case .success(.later(let wait)): scheduleBatchCheck(chat, after: wait)
            case .success(.flushed): BotStats.add(stats.batches)
            case .success(.gone): break
            case .failure(let error):
                noteRedisFailure("flushing a batch", error)
                scheduleBatchCheck(chat, after: .seconds(1))
                continue
            }
            noteRedisRecovered()
        }
    }

    /// Takes the predecessor's unfinished jobs, then new ones as they come.
    private func consume(_ store: RedisBotState) async {
        var after = "0"
        var replayed = 0
        while !Task.isCancelled {
            do {
                let jobs = try await store.take(pending: true, after: after, count: 100, block: .zero)
                noteRedisRecovered()
                guard let last = jobs.last?.streamID else { break }
                after = last
                replayed += jobs.count
                for job in jobs { takeJob(job) }
            } catch {
                noteRedisFailure("reading unfinished jobs", error)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        if replayed > 0 { log("bot \(botID): took over \(replayed) unfinished jobs from the previous process") }
        while !Task.isCancelled && !draining {
            if jobsInHand >= Self.maximumJobsInHand {
                await waitForProgress(limit: .milliseconds(250))
                continue
            }
            do {
                let jobs = try await store.take(pending: false, count: 100, block: .seconds(1))
                noteRedisRecovered()
                for job in jobs { takeJob(job) }
            } catch {
                if Task.isCancelled { break }
                noteRedisFailure("taking jobs", error)
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(redisFailures, 5)), 2000)))
            }
        }
    }

    private func takeJob(_ job: BotJob) {
        jobsInHand += 1
        publishInFlight()
        if job.failures > 0 && parked.contains(job.chatID) {
            enqueueRetried(job)
        } else {
            enqueue(job)
        }
    }

    /// Keeps one timer for the retry set's earliest due job.
    func armRetryTimer(after delay: Duration) {
        let at = MonotonicTime.now() + delay
        if let armed = retryDeadline, armed <= at, retryTimer != nil { return }
        retryTimer?.cancel()
        retryDeadline = at
        retryTimer = Task { [weak self] in
            do { try await Task.sleep(for: delay) } catch { return }
            await self?.promoteRetries()
        }
    }

    private func promoteRetries() async {
        retryTimer = nil
        retryDeadline = nil
        guard let durable, !draining else { return }
        do {
            if let next = try await durable.promoteDueRetries() { armRetryTimer(after: next) }
            noteRedisRecovered()
        } catch {
            noteRedisFailure("moving due retries", error)
            armRetryTimer(after: .seconds(1))
        }
    }

    /// Runs a Redis step that must not be skipped (a job's acknowledgement, its retry or dead
    /// letter), retrying while the server is away: the job stays in hand until it is kept.
    func persist<Value>(_ what: String, _ operation: () async throws(RedisError) -> Value) async -> Value {
        while true {
            do {
                let value = try await operation()
                noteRedisRecovered()
                return value
            } catch {
                noteRedisFailure(what, error)
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(redisFailures, 5)), 2000)))
            }
        }
    }

    func noteRedisFailure(_ what: String, _ error: any Error) {
        stats.store.store(BotStats.Store.redisUnreachable.rawValue, ordering: .relaxed)
        redisFailures += 1
        if redisFailures == 1 || redisFailures.isMultiple(of: 50) {
            log("bot \(botID): Redis failed while \(what) (\(redisFailures) in a row): \(error)")
        }
    }

    func noteRedisRecovered() {
        guard redisFailures > 0 else { return }
        stats.store.store(BotStats.Store.redis.rawValue, ordering: .relaxed)
        log("bot \(botID): Redis answers again after \(redisFailures) failed calls")
        redisFailures = 0
    }
}
