/// A frame from a worker, decoded and checked against the handshake order.
public enum WorkerMessage: Sendable, Equatable {
    case hello(Hello)
    case heartbeat(Heartbeat)
    case updateAck(UpdateAck)
    case deadLettersReply(DeadLetterReply)
    case broadcastReply(BroadcastReply)
}

/// A frame from the master, decoded.
public enum MasterMessage: Sendable, Equatable {
    case welcome(Welcome)
    case config(ConfigUpdate)
    case logLevel(LogLevelChange)
    case drain(Drain)
    case update(WebhookUpdate)
    case deadLetters(DeadLetterRequest)
    case broadcast(BroadcastRequest)

    /// The frame that carries this message.
    public func frame() -> Frame {
        switch self {
        case .welcome(let message): Frame(type: .welcome, payload: JSONPayload.encode(message))
        case .config(let message): Frame(type: .config, payload: JSONPayload.encode(message))
        case .logLevel(let message): Frame(type: .logLevel, payload: JSONPayload.encode(message))
        case .drain(let message): Frame(type: .drain, payload: JSONPayload.encode(message))
        case .update(let message): message.frame()
        case .deadLetters(let message): message.frame()
        case .broadcast(let message): message.frame()
        }
    }

    /// Decodes a frame received by a worker.
    public init(frame: Frame) throws(ProtocolError) {
        switch frame.type {
        case .welcome:
            let welcome = try JSONPayload.decode(Welcome.self, from: frame)
            guard welcome.protocolVersion == ProtocolVersion.current else {
                throw .unsupportedVersion(welcome.protocolVersion)
            }
            self = .welcome(welcome)
        case .config: self = .config(try JSONPayload.decode(ConfigUpdate.self, from: frame))
        case .logLevel: self = .logLevel(try JSONPayload.decode(LogLevelChange.self, from: frame))
        case .drain: self = .drain(try JSONPayload.decode(Drain.self, from: frame))
        case .update: self = .update(try WebhookUpdate(payload: frame.payload))
        case .deadLetters: self = .deadLetters(try JSONPayload.decode(DeadLetterRequest.self, from: frame))
        case .broadcast: self = .broadcast(try JSONPayload.decode(BroadcastRequest.self, from: frame))
        case .hello, .heartbeat, .updateAck, .deadLettersReply, .broadcastReply:
            throw .unexpectedFrame(frame.type, reason: "only a worker sends it")
        }
    }
}

extension Hello {
    /// The frame that carries this hello. Written by hand: it is a starting worker's first
    /// frame, and `JSONEncoder`'s first use in a process (its generic machinery's metadata)
    /// cost each of a thousand starting workers more than the rest of its handshake.
    public func frame() -> Frame {
        var json = JSONWriter(capacity: 64 + bot.utf8.count + runtime.utf8.count)
        json.raw("{\"bot\":")
        json.string(bot)
        json.raw(",\"pid\":")
        json.integer(Int64(pid))
        json.raw(",\"protocol\":")
        json.integer(Int64(protocolVersion))
        json.raw(",\"runtime\":")
        json.string(runtime)
        json.raw("}")
        return Frame(type: .hello, payload: json.bytes)
    }
}

/// The master's view of one worker's stream: decodes frames and enforces the handshake order
/// (hello first and only once, then heartbeats).
public struct WorkerStreamValidator: Sendable {
    /// Whether the hello has arrived.
    public private(set) var greeted = false

    public init() {}

    /// Decodes one frame from the worker.
    /// - Throws: ``ProtocolError`` for a frame of the wrong direction, out of order, or malformed.
    public mutating func accept(_ frame: Frame) throws(ProtocolError) -> WorkerMessage {
        guard frame.type.isSentByWorker else {
            throw .unexpectedFrame(frame.type, reason: "only the master sends it")
        }
        switch frame.type {
        case .hello:
            guard !greeted else { throw .unexpectedFrame(.hello, reason: "hello was already received") }
            let hello = try JSONPayload.decode(Hello.self, from: frame)
            guard hello.protocolVersion == ProtocolVersion.current else {
                throw .unsupportedVersion(hello.protocolVersion)
            }
            greeted = true
            return .hello(hello)
        case .heartbeat:
            guard greeted else { throw .unexpectedFrame(.heartbeat, reason: "heartbeat before hello") }
            return .heartbeat(try Heartbeat(payload: frame.payload))
        case .updateAck:
            guard greeted else { throw .unexpectedFrame(.updateAck, reason: "update ack before hello") }
            return .updateAck(try UpdateAck(payload: frame.payload))
        case .deadLettersReply:
            guard greeted else { throw .unexpectedFrame(.deadLettersReply, reason: "dead-letter reply before hello") }
            return .deadLettersReply(try JSONPayload.decode(DeadLetterReply.self, from: frame))
        case .broadcastReply:
            guard greeted else { throw .unexpectedFrame(.broadcastReply, reason: "broadcast reply before hello") }
            return .broadcastReply(try JSONPayload.decode(BroadcastReply.self, from: frame))
        case .welcome, .config, .logLevel, .drain, .update, .deadLetters, .broadcast:
            throw .unexpectedFrame(frame.type, reason: "only the master sends it")
        }
    }
}
