import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem

/// The per-chat job queues: jobs of one chat in order, `concurrency` chats at once, retries,
/// dead letters, and the steps (Bot API calls) of each job, made at most once.
extension BotEngine {
    func enqueue(_ job: BotJob) {
        queues[job.chatID, default: []].append(job)
        if queues[job.chatID]!.count == 1 { makeReady(job.chatID) }
        pump()
    }

    /// A retried job back from the retry set: it goes before the jobs that waited behind it.
    func enqueueRetried(_ job: BotJob) {
        queues[job.chatID, default: []].prepend(job)
        parked.remove(job.chatID)
        makeReady(job.chatID)
        pump()
    }

    private func makeReady(_ chat: Int64) {
        guard !running.contains(chat), !parked.contains(chat), !ready.contains(chat) else { return }
        ready.append(chat)
    }

    /// Starts chat runners while fewer than `concurrency` chats are being worked on.
    func pump() {
        while running.count < max(settings.handler.concurrency, 1), let chat = ready.popFirst() {
            running.insert(chat)
            Task.placed { await self.runChat(chat) }
        }
    }

    /// Works through one chat's queue in order, then lets another chat have the slot.
    private func runChat(_ chat: Int64) async {
        runner: while var job = queues[chat]?.first {
            if job.redelivered {
                // Its worker died mid-job: whatever it already sent is not sent again.
                let done = await persist("reading a job's sent steps") { () throws(StoreError) in try await store.stepsDone(of: job) }
                job.stepsDone.formUnion(done)
                job.redelivered = false
            }
            let outcome = await execute(&job)
            switch outcome {
            case .done:
                BotStats.add(stats.jobsSucceeded)
                let finished = job
                await persist("finishing a job") { () throws(StoreError) in try await store.finish(finished) }
            case .deferred(let delay):
                // The breaker refused the call before it was made: no attempt is counted, so a
                // short Bot API outage delays replies instead of dead-lettering them.
                logger.debug("job waits for the circuit breaker", metadata: ["job": "\(job.key)", "retry_in": "\(delay)"])
                await park(job, chat: chat, for: delay)
                break runner
            case .failed(let reason):
                BotStats.add(stats.jobFailures)
                job.failures += 1
                let backoff = RetryBackoff(
                    baseDelay: .milliseconds(settings.retry.baseDelayMs), maxDelay: .milliseconds(settings.retry.maxDelayMs),
                    maxAttempts: settings.retry.maxAttempts)
                if let delay = backoff.delay(beforeAttempt: job.failures + 1, using: &random) {
                    logger.warning(
                        "job failed; retrying",
                        metadata: [
                            "job": "\(job.key)", "kind": "\(job.kindName)", "attempt": "\(job.failures)", "error": "\(reason)",
                            "retry_in": "\(delay)",
                        ])
                    await park(job, chat: chat, for: delay)
                    break runner
                }
                await deadLetter(job, reason: reason)
            }
            queues[chat]?.removeFirst()
            jobsInHand -= 1
            publishInFlight()
            wakeProgress()
        }
        if queues[chat]?.isEmpty == true { queues[chat] = nil }
        running.remove(chat)
        pump()
    }

    /// Puts `job` into the retry schedule for `delay`; its chat waits for it, so the chat's
    /// replies stay in order.
    private func park(_ job: BotJob, chat: Int64, for delay: Duration) async {
        var job = job
        job.retried = true
        await persist("scheduling a retry") { () throws(StoreError) in try await store.scheduleRetry(job, delay: delay) }
        armRetryTimer(after: delay)
        parked.insert(chat)
        queues[chat]?.removeFirst()
        jobsInHand -= 1
        publishInFlight()
        wakeProgress()
    }

    enum Outcome {
        case done
        case failed(String)
        /// Not attempted (the circuit breaker is open); again after the delay.
        case deferred(Duration)
    }

    private func execute(_ job: inout BotJob) async -> Outcome {
        do {
            switch job.kind {
            case .batch:
                if handoffChats.contains(job.chatID), let operatorChat = settings.handoff.operatorChatID {
                    // Handed off after these messages were batched: they go to the operator too.
                    let chat = job.chatID
                    for (index, message) in job.messages.enumerated() {
                        try await step(index, of: &job) { try await self.forward(message.messageID, from: chat, to: operatorChat) }
                    }
                    return .done
                }
                try await runHandler(&job)
            case .forward:
                guard let operatorChat = settings.handoff.operatorChatID, let messageID = job.messageID else { return .done }
                let chat = job.chatID
                try await step(0, of: &job) { try await self.forward(messageID, from: chat, to: operatorChat) }
            case .operatorReply:
                guard let operatorChat = job.operatorChatID, let messageID = job.messageID else { return .done }
                let transfer = MessageTransfer(chatID: job.chatID, fromChatID: operatorChat, messageID: messageID)
                try await step(0, of: &job) {
                    try await self.sender.perform(chatID: transfer.chatID) { client throws(BotAPIError) in
                        try await client.copyMessage(transfer)
                    }.messageID
                }
            case .handoffStarted:
                let chat = job.chatID
                let stop = settings.handoff.stopCommand
                try await step(0, of: &job) {
                    try await self.notify(chat, "You are now talking to an operator. Send \(stop) to return to the bot.")
                }
                if let operatorChat = settings.handoff.operatorChatID {
                    let notice = SendMessage(
                        chatID: operatorChat,
                        text:
                            "Chat \(chat) asked for an operator. Reply to its forwarded messages to answer; reply \(stop) to hand it back.")
                    try await step(1, of: &job) {
                        let sent = try await self.sender.perform(chatID: operatorChat) { client throws(BotAPIError) in
                            try await client.sendMessage(notice)
                        }
                        try await self.store.rememberThread(operatorMessageID: sent.messageID, userChat: chat)
                        return sent.messageID
                    }
                }
            case .handoffEnded:
                let chat = job.chatID
                try await step(0, of: &job) { try await self.notify(chat, "You are back with the bot.") }
            }
            return .done
        } catch let refused as OutgoingSender.BreakerOpen {
            return .deferred(refused.retryIn)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Makes one step of a job unless it was made before; the message id it produced is its
    /// idempotency record. Earlier steps' records are in the store before this step runs; the
    /// last step's goes with the job's acknowledgement (``BotStore/finish(_:)``), where the store needs it.
    private func step(_ number: Int, of job: inout BotJob, _ action: () async throws -> Int64) async throws {
        guard !job.stepsDone.contains(number) else { return }
        if !job.unrecordedSteps.isEmpty {
            try await store.recordSteps(of: job)
            job.unrecordedSteps = []
        }
        let messageID = try await action()
        job.stepsDone.insert(number)
        job.unrecordedSteps.append((number, messageID))
    }

    private func runHandler(_ job: inout BotJob) async throws {
        let reply: HandlerReply
        if let cached = job.reply {
            reply = cached
        } else {
            let last = job.messages.last
            let request = HandlerRequest(
                bot: botID, chat: .init(id: job.chatID, type: last?.chatType ?? "private"),
                user: last?.userID.map { .init(id: $0, firstName: last?.firstName, username: last?.username) },
                text: job.mergedText,
                messages: job.messages.map { .init(updateID: $0.updateID, messageID: $0.messageID, text: $0.text) })
            reply = try await handler.handle(request)
            job.reply = reply
        }
        if let text = reply.reply, !text.isEmpty {
            let message = SendMessage(
                chatID: job.chatID, text: String(text.prefix(4096)),
                replyParameters: job.messages.count == 1 ? ReplyParameters(messageID: job.messages[0].messageID) : nil)
            try await step(0, of: &job) {
                try await self.sender.perform(chatID: message.chatID) { client throws(BotAPIError) in
                    try await client.sendMessage(message)
                }.messageID
            }
        }
        if reply.handoff == true, settings.handoff.operatorChatID != nil, !handoffChats.contains(job.chatID) {
            let started = BotJob(chatID: job.chatID, kind: .handoffStarted, updateIDs: job.updateIDs, tag: "handoff")
            let item = IntakeItem(
                updateID: nil, chatID: job.chatID, messageID: nil, dedupWindowMs: 0, action: .job(started, handoff: .start))
            _ = try await store.intake([item])[0].get()
            applyHandoff(.start, chat: job.chatID)
        }
    }

    private func forward(_ messageID: Int64, from chat: Int64, to operatorChat: Int64) async throws -> Int64 {
        let transfer = MessageTransfer(chatID: operatorChat, fromChatID: chat, messageID: messageID)
        let forwarded = try await sender.perform(chatID: operatorChat) { client throws(BotAPIError) in
            try await client.forwardMessage(transfer)
        }
        try await store.rememberThread(operatorMessageID: forwarded.messageID, userChat: chat)
        return forwarded.messageID
    }

    private func notify(_ chat: Int64, _ text: String) async throws -> Int64 {
        let message = SendMessage(chatID: chat, text: text)
        return try await sender.perform(chatID: chat) { client throws(BotAPIError) in try await client.sendMessage(message) }.messageID
    }

    private func deadLetter(_ job: BotJob, reason: String) async {
        BotStats.add(stats.deadLettered)
        logger.error(
            "job dead-lettered",
            metadata: ["job": "\(job.key)", "kind": "\(job.kindName)", "attempts": "\(job.failures)", "error": "\(reason)"])
        let entry = DeadLetterEntry(
            key: job.key, chat: job.chatID, kind: job.kindName, updateIDs: job.updateIDs, attempts: job.failures,
            lastError: reason, atMs: WallClock.nowMilliseconds(), texts: job.messages.map(\.text))
        await persist("dead-lettering a job") { () throws(StoreError) in try await store.deadLetter(job, entry: entry) }
    }
}
