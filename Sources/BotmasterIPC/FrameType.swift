/// The type byte of a frame. The direction of each type is fixed; a frame sent the wrong way is a
/// protocol error. See `docs/worker-protocol.md` for the payload of each.
public enum FrameType: UInt8, Sendable, CaseIterable {
    /// Worker → master, first frame. JSON ``Hello``.
    case hello = 0x01
    /// Master → worker, answer to hello. JSON ``Welcome``.
    case welcome = 0x02
    /// Worker → master, periodic. Binary ``Heartbeat`` (big-endian `UInt64` counters).
    case heartbeat = 0x03
    /// Master → worker, a new live configuration. JSON ``ConfigUpdate``.
    case config = 0x04
    /// Master → worker, change the log level. JSON ``LogLevelChange``.
    case logLevel = 0x05
    /// Master → worker, finish the work in hand and exit 0. JSON ``Drain``.
    case drain = 0x06
    /// Master → worker, a webhook update for the bot. Binary ``WebhookUpdate``.
    case update = 0x07
    /// Worker → master, whether it took a webhook update. Binary ``UpdateAck``.
    case updateAck = 0x08
    /// Master → worker, a `botmaster dlq` action. JSON ``DeadLetterRequest``.
    case deadLetters = 0x09
    /// Worker → master, its answer. JSON ``DeadLetterReply``.
    case deadLettersReply = 0x0A
    /// Master → worker, a `botmaster broadcast` action. JSON ``BroadcastRequest``.
    case broadcast = 0x0B
    /// Worker → master, its answer. JSON ``BroadcastReply``.
    case broadcastReply = 0x0C

    /// Whether a worker is allowed to send this type.
    public var isSentByWorker: Bool {
        switch self {
        case .hello, .heartbeat, .updateAck, .deadLettersReply, .broadcastReply: true
        case .welcome, .config, .logLevel, .drain, .update, .deadLetters, .broadcast: false
        }
    }
}
