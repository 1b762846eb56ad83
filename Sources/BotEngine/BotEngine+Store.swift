import BotAPI
import BotmasterIPC
import BotmasterSystem
import HeapModule

/// The engine's side of the store: opening it at start, taking updates through its intake
/// step, flushing due batches, the consumer of its job queue and the retry timer.
extension BotEngine {
    /// Opens the bot's state (retrying until the store can be used), then starts the consumer.
    /// Updates are refused (webhook: 503; polling: not confirmed) until then.
    public func start() async {
        var snapshot: StoreSnapshot?
        while snapshot == nil && !Task.isCancelled && !draining {
            do {
                snapshot = try await store.open()
            } catch {
                noteStoreFailure("opening the bot's state", error)
                try? await TaskPlacement.sleep(for: StoreRetryDelay.idle(afterFailures: storeFailures))
            }
        }
        guard let snapshot else { return }
        noteStoreRecovered()
        handoffChats = snapshot.handoffChats
        stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed)
        offset = snapshot.offset
        for open in snapshot.openBatches { scheduleBatchCheck(open.chat, after: open.dueIn) }
        armTimer()
        if let next = snapshot.nextRetry { armRetryTimer(after: next) }
        // A predecessor's parked chats stay parked: their later jobs wait for the retry.
        parked.formUnion(snapshot.chatsAwaitingRetry)
        storeReady = true
        logger.info(
            "state opened",
            metadata: [
                "store": "\(store.kind.rawValue)", "location": "\(store.location)", "open_batches": "\(snapshot.openBatches.count)",
                "handoff_chats": "\(handoffChats.count)",
            ])
        consumer = Task.placed { await self.consume() }
        await broadcasts.start()
    }

    /// Takes a poll's updates (`polled`) or webhook deliveries, in order, in one store call.
    /// The results are in order; from the first update that could not be kept on, every result
    /// is `.busy`, so the poller confirms none of them and reads them again, and a webhook
    /// delivery gets 503 and comes again.
    public func accept(_ updates: [Update], polled: Bool) async -> [UpdateAck.Result] {
        guard storeReady, !draining, jobsInHand < Self.maximumInFlight else { return updates.map { _ in .busy } }
        var items: [IntakeItem] = []
        var routes: [Route?] = []
        var previous: Int64?
        for update in updates {
            BotStats.add(stats.received)
            let after = updates.count > 1 ? previous : nil
            previous = update.updateID
            guard let message = update.message, let text = message.text else {
                // Not a new text message (an edit, a photo, another kind): nothing to answer;
                // only the offset moves past it.
                items.append(
                    IntakeItem(
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
                    noteStoreFailure("reading handoff state", error)
                    break
                }
            }
            let route = route(message, text: text, updateID: update.updateID, thread: { _ in thread })
            let action: IntakeAction
            switch route {
            case .ignore: action = .none
            case .job(let job, let change):
                action = .job(job, handoff: change)
                // Later updates of this group are routed as if this one's change held already.
                applyHandoff(change, chat: job.chatID)
            case .batch:
                let incoming = JobMessage(
                    updateID: update.updateID, messageID: message.messageID, text: text, userID: message.from?.id,
                    firstName: message.from?.firstName, username: message.from?.username, chatType: message.chat.type)
                action = .batch(incoming, settings.batch)
            }
            items.append(
                IntakeItem(
                    updateID: update.updateID, chatID: chat, messageID: message.messageID, dedupWindowMs: settings.dedup.windowMs,
                    action: action, after: after, polled: polled))
            routes.append(route)
        }
        let outcomes: [Result<IntakeOutcome, StoreError>]
        do {
            outcomes = try await store.intake(items)
        } catch {
            outcomes = items.map { _ in .failure(error) }
        }
        var results: [UpdateAck.Result] = []
        var kept = true
        for (index, update) in updates.enumerated() {
            guard index < outcomes.count, case .success(let outcome) = outcomes[index] else {
                if index < outcomes.count, case .failure(let error) = outcomes[index] { noteStoreFailure("taking an update", error) }
                if index < routes.count, case .job(let job, let change)? = routes[index] { revertHandoff(change, chat: job.chatID) }
                kept = false
                results.append(.busy)
                continue
            }
            if kept {
                noteStoreRecovered()
                if polled { offset = max(offset ?? 0, update.updateID + 1) }
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
            case .noted:
                break
            }
            results.append(kept ? .accepted : .busy)
        }
        armTimer()
        publishInFlight()
        return results
    }

    /// Undoes a handoff change applied ahead of an intake that failed.
    private func revertHandoff(_ change: HandoffChange?, chat: Int64) {
        switch change {
        case .start?: applyHandoff(.end, chat: chat)
        case .end?: applyHandoff(.start, chat: chat)
        case nil: break
        }
    }

    func scheduleBatchCheck(_ chat: Int64, after delay: Duration) {
        let at = MonotonicTime.now() + delay
        if let existing = batchDue[chat], existing <= at { return }
        batchDue[chat] = at
        batchDueOrder.insert(DueChat(at: at, chat: chat))
    }

    /// Asks the store to take every batch whose local deadline passed (every open batch, with
    /// `force`); the store knows the real deadline (a later message may have moved it).
    func flushDueBatches(force: Bool = false) async {
        let now = MonotonicTime.now()
        var due: [Int64] = []
        if force {
            due = Array(batchDue.keys)
            batchDue.removeAll()
            batchDueOrder = Heap()
        }
        while let first = batchDueOrder.min, first.at <= now {
            batchDueOrder.removeMin()
            // Entries replaced by an earlier deadline are skipped.
            if batchDue[first.chat] == first.at {
                batchDue[first.chat] = nil
                due.append(first.chat)
            }
        }
        guard !due.isEmpty else { return }
        let outcomes: [Result<FlushOutcome, StoreError>]
        do {
            outcomes = try await store.flush(chatIDs: due, force: force)
        } catch {
            outcomes = due.map { _ in .failure(error) }
        }
        for (chat, outcome) in zip(due, outcomes) {
            switch outcome {
            case .success(.later(let wait)): scheduleBatchCheck(chat, after: wait)
            case .success(.flushed): BotStats.add(stats.batches)
            case .success(.gone): break
            case .failure(let error):
                noteStoreFailure("flushing a batch", error)
                if !force { scheduleBatchCheck(chat, after: .seconds(1)) }
                continue
            }
            noteStoreRecovered()
        }
        publishInFlight()
    }

    /// Takes the predecessor's unfinished jobs, then new ones as they come; while draining,
    /// until the queue is empty and every job in hand is finished.
    private func consume() async {
        var after = ""
        var replayed = 0
        while !Task.isCancelled {
            do {
                let jobs = try await store.takeUnfinished(after: after, count: 100)
                noteStoreRecovered()
                guard let last = jobs.last?.storeID else { break }
                after = last
                replayed += jobs.count
                for job in jobs { takeJob(job) }
            } catch {
                noteStoreFailure("reading unfinished jobs", error)
                try? await TaskPlacement.sleep(for: .seconds(1))
            }
        }
        if replayed > 0 { logger.notice("took over unfinished jobs from the previous process", metadata: ["jobs": "\(replayed)"]) }
        while !Task.isCancelled {
            if jobsInHand >= Self.maximumJobsInHand {
                await waitForProgress(limit: .milliseconds(250))
                continue
            }
            do {
                let jobs = try await store.take(count: 100, wait: draining ? .zero : .seconds(1))
                noteStoreRecovered()
                for job in jobs { takeJob(job) }
                if draining && jobs.isEmpty {
                    if jobsInHand == 0 {
                        wakeIdle()
                        return
                    }
                    await waitForProgress(limit: .milliseconds(250))
                }
            } catch {
                if Task.isCancelled { break }
                noteStoreFailure("taking jobs", error)
                try? await TaskPlacement.sleep(for: StoreRetryDelay.step(afterFailures: storeFailures))
            }
        }
    }

    private func takeJob(_ job: BotJob) {
        jobsInHand += 1
        publishInFlight()
        if job.retried && parked.contains(job.chatID) {
            enqueueRetried(job)
        } else {
            enqueue(job)
        }
    }

    /// Keeps one timer for the retry schedule's earliest due job.
    func armRetryTimer(after delay: Duration) {
        guard !draining else { return }
        let at = MonotonicTime.now() + delay
        if let armed = retryDeadline, armed <= at, retryTimer != nil { return }
        retryTimer?.cancel()
        retryDeadline = at
        retryTimer = Task.placed { [weak self] in
            do { try await TaskPlacement.sleep(for: delay) } catch { return }
            await self?.promoteRetries()
        }
    }

    private func promoteRetries() async {
        retryTimer = nil
        retryDeadline = nil
        guard !draining else { return }
        do {
            if let next = try await store.promoteDueRetries() { armRetryTimer(after: next) }
            noteStoreRecovered()
        } catch {
            noteStoreFailure("moving due retries", error)
            armRetryTimer(after: .seconds(1))
        }
    }

    /// Runs a store step that must not be skipped (a job's acknowledgement, its retry or dead
    /// letter), retrying while the store fails: the job stays in hand until it is kept.
    func persist<Value>(_ what: String, _ operation: () async throws(StoreError) -> Value) async -> Value {
        while true {
            do {
                let value = try await operation()
                noteStoreRecovered()
                return value
            } catch {
                noteStoreFailure(what, error)
                try? await TaskPlacement.sleep(for: StoreRetryDelay.step(afterFailures: storeFailures))
            }
        }
    }

    func noteStoreFailure(_ what: String, _ error: any Error) {
        let kind = (error as? StoreError)?.kind ?? .failed
        stats.store.store(BotStats.Store(store.kind, failing: kind).rawValue, ordering: .relaxed)
        storeFailures += 1
        if storeFailures == 1 || storeFailures.isMultiple(of: 50) {
            logger.error(
                "store failed", metadata: ["while": "\(what)", "failures_in_a_row": "\(storeFailures)", "error": "\(error)"])
        }
    }

    func noteStoreRecovered() {
        guard storeFailures > 0 else { return }
        stats.store.store(BotStats.Store(store.kind).rawValue, ordering: .relaxed)
        logger.notice("store answers again", metadata: ["failed_calls": "\(storeFailures)"])
        storeFailures = 0
    }
}
