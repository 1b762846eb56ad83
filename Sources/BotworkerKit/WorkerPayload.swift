import BotmasterIPC

/// What a worker runs besides the protocol: the bot runtime, plugged into ``WorkerRuntime``
/// so that the protocol loop stays free of it (and of its dependencies).
///
/// The runtime calls these from its single protocol thread, or — once the payload took the
/// channel's reading over (``takeChannelReading(fd:reader:)``) — from the thread that reads it,
/// except ``drain()``, which the protocol thread always calls.
public protocol WorkerPayload: AnyObject, Sendable {
    /// The welcome's or a config frame's `settings`. The first call starts the payload; a
    /// thrown error ends the worker with that reason (exit status 1).
    func configure(settings: [String: JSONValue], writer: FrameWriter) throws(WorkerPayloadError)
    /// A webhook update; the payload answers with an ``UpdateAck`` through the writer.
    func receive(_ update: WebhookUpdate)
    /// A `botmaster dlq` action; the payload answers with a ``DeadLetterReply`` through the
    /// writer it was configured with.
    func deadLetters(_ request: DeadLetterRequest)
    /// A `botmaster broadcast` action; the payload answers with a ``BroadcastReply`` through
    /// the writer it was configured with.
    func broadcast(_ request: BroadcastRequest)
    /// Finishes the work in hand; returns when it is done.
    func drain()
    /// Offered once settings have configured the payload: a payload that runs a thread of its
    /// own (an event loop) may read the channel there, so that a frame wakes only that thread.
    /// It reads `fd` (through a duplicate: the protocol loop keeps writing to `fd`, and it may
    /// be made non-blocking), passes every byte to `reader` in order, and tells it of the end
    /// of file or a read error. Returns `false` to leave the reading to the protocol loop,
    /// which is what a payload that does not implement it does.
    func takeChannelReading(fd: Int32, reader: ChannelReader) -> Bool
    /// Counters for the heartbeat's `messages` and `errors`.
    var messages: UInt64 { get }
    var errors: UInt64 { get }
    /// Counters appended after the heartbeat's fixed fields.
    var heartbeatExtra: [UInt64] { get }
}

extension WorkerPayload {
    public func takeChannelReading(fd: Int32, reader: ChannelReader) -> Bool { false }
}

/// Why a payload cannot run; becomes the worker's last log line.
public struct WorkerPayloadError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
