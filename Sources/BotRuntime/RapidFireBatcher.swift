import BotmasterSystem
import HeapModule

/// One incoming message, as the batcher sees it.
public struct IncomingMessage: Sendable, Equatable {
    public var updateID: Int64
    public var chatID: Int64
    public var messageID: Int64
    public var userID: Int64?
    public var text: String

    public init(updateID: Int64, chatID: Int64, messageID: Int64, userID: Int64? = nil, text: String) {
        self.updateID = updateID
        self.chatID = chatID
        self.messageID = messageID
        self.userID = userID
        self.text = text
    }
}

/// A user's burst of messages, merged into one job.
public struct MessageBatch: Sendable, Equatable {
    public var chatID: Int64
    /// The messages in the order they arrived.
    public var messages: [IncomingMessage]
    /// Why the batch was closed.
    public var reason: FlushReason

    /// The texts joined with newlines, in order.
    public var mergedText: String { messages.map(\.text).joined(separator: "\n") }
    /// Every original update id, in order.
    public var updateIDs: [Int64] { messages.map(\.updateID) }
}

/// Why a batch was closed.
public enum FlushReason: String, Sendable, Equatable {
    /// The chat was quiet for the quiet window.
    case quiet
    /// It reached `maxMessages`.
    case full
    /// Its first message reached `maxWait` (a user who never stops typing still gets an answer).
    case maxWait
    /// Flushed on demand (drain).
    case drain
}

/// Merges each chat's burst of messages into one job: a batch closes when the chat has been
/// quiet for `quiet`, when it holds `maxMessages`, or when its first message is `maxWait` old,
/// whichever comes first. Chats are independent; order within a chat is kept. Deadlines live
/// in a min-heap with one entry per open batch: a batch's deadline only ever moves later, so a
/// new message does not touch the heap, and an entry found early is put back at the batch's
/// real deadline. Adding a message is a dictionary update; finding what is due is
/// O(log chats) per batch.
public struct RapidFireBatcher: Sendable {
    public var quiet: Duration
    public var maxMessages: Int
    public var maxWait: Duration

    private struct OpenBatch {
        var messages: [IncomingMessage]
        var firstAt: MonotonicTime
        var lastAt: MonotonicTime
        var generation: UInt64
    }

    private struct Deadline: Comparable {
        var at: MonotonicTime
        var chatID: Int64
        var generation: UInt64
        static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.at < rhs.at }
    }

    private var open: [Int64: OpenBatch] = [:]
    private var deadlines = Heap<Deadline>()
    private var nextGeneration: UInt64 = 0

    public init(quiet: Duration = .seconds(5), maxMessages: Int = 10, maxWait: Duration = .seconds(15)) {
        self.quiet = quiet
        self.maxMessages = max(maxMessages, 1)
        self.maxWait = maxWait
    }

    /// Chats with an open batch.
    public var openChats: Int { open.count }

    /// Adds a message; returns the batch it completes, if it fills one (or batching is off).
    public mutating func add(_ message: IncomingMessage, now: MonotonicTime) -> MessageBatch? {
        if var batch = open[message.chatID] {
            batch.messages.append(message)
            batch.lastAt = now
            if batch.messages.count >= maxMessages {
                open[message.chatID] = nil  // its heap entry is stale now and is dropped when reached
                return MessageBatch(chatID: message.chatID, messages: batch.messages, reason: .full)
            }
            open[message.chatID] = batch
            return nil
        }
        if maxMessages <= 1 || quiet <= .zero {
            return MessageBatch(chatID: message.chatID, messages: [message], reason: maxMessages <= 1 ? .full : .quiet)
        }
        nextGeneration &+= 1
        let batch = OpenBatch(messages: [message], firstAt: now, lastAt: now, generation: nextGeneration)
        open[message.chatID] = batch
        deadlines.insert(Deadline(at: deadline(of: batch), chatID: message.chatID, generation: batch.generation))
        return nil
    }

    /// The batches due at `now`, oldest deadline first.
    public mutating func due(now: MonotonicTime) -> [MessageBatch] {
        var flushed: [MessageBatch] = []
        while let next = currentMin(), next.at <= now {
            deadlines.removeMin()
            guard let batch = open.removeValue(forKey: next.chatID) else { continue }
            let reason: FlushReason = batch.firstAt + maxWait <= now && batch.lastAt + quiet > now ? .maxWait : .quiet
            flushed.append(MessageBatch(chatID: next.chatID, messages: batch.messages, reason: reason))
        }
        return flushed
    }

    /// When the next batch falls due, for the caller's timer; `nil` when none is open.
    public mutating func nextDeadline() -> MonotonicTime? {
        currentMin()?.at
    }

    /// The heap's minimum once it is a live batch at its real deadline: stale entries (batches
    /// closed as full) are dropped, early ones (more messages came) are moved to their deadline.
    private mutating func currentMin() -> Deadline? {
        while let next = deadlines.min {
            guard let batch = open[next.chatID], batch.generation == next.generation else {
                deadlines.removeMin()
                continue
            }
            let actual = deadline(of: batch)
            if actual == next.at { return next }
            deadlines.removeMin()
            deadlines.insert(Deadline(at: actual, chatID: next.chatID, generation: next.generation))
        }
        return nil
    }

    /// Every open batch, now (drain): nothing accepted is left behind.
    public mutating func flushAll() -> [MessageBatch] {
        let batches = open.sorted { $0.value.firstAt < $1.value.firstAt }.map {
            MessageBatch(chatID: $0.key, messages: $0.value.messages, reason: .drain)
        }
        open.removeAll()
        deadlines = Heap()
        return batches
    }

    private func deadline(of batch: OpenBatch) -> MonotonicTime {
        min(batch.lastAt + quiet, batch.firstAt + maxWait)
    }
}
