/// Master → worker: one webhook delivery for the bot, passed on untouched.
///
/// Binary: a big-endian `u64` request id, then the request body exactly as Telegram sent it (a
/// JSON `Update`). The worker answers with an ``UpdateAck`` carrying the same id; the master
/// answers the HTTP request only then.
public struct WebhookUpdate: Sendable, Equatable {
    public var requestID: UInt64
    public var body: [UInt8]

    public init(requestID: UInt64, body: [UInt8]) {
        self.requestID = requestID
        self.body = body
    }

    public func frame() -> Frame {
        var payload = BigEndian.bytes(requestID)
        payload.append(contentsOf: body)
        return Frame(type: .update, payload: payload)
    }

    public init(payload: [UInt8]) throws(ProtocolError) {
        guard payload.count >= 8 else {
            throw .malformedPayload(.update, reason: "\(payload.count) bytes; expected a u64 request id and a body")
        }
        self.init(requestID: BigEndian.uint64(payload, at: 0), body: Array(payload[8...]))
    }
}

/// Worker → master: the answer to a ``WebhookUpdate``.
///
/// Binary: a big-endian `u64` request id and one result byte.
public struct UpdateAck: Sendable, Equatable {
    /// What the worker did with the update.
    public enum Result: UInt8, Sendable, Equatable {
        /// Taken into the pipeline: the master answers 200.
        case accepted = 0
        /// Seen before (dedup): nothing to do, the master answers 200 so Telegram stops repeating it.
        case duplicate = 1
        /// Cannot take it now (draining, queue full, its Redis unreachable): the master answers 503
        /// and Telegram redelivers.
        case busy = 2
        /// Not an update: the master answers 400.
        case invalid = 3
    }

    public var requestID: UInt64
    public var result: Result

    public init(requestID: UInt64, result: Result) {
        self.requestID = requestID
        self.result = result
    }

    public func frame() -> Frame {
        var payload = BigEndian.bytes(requestID)
        payload.append(result.rawValue)
        return Frame(type: .updateAck, payload: payload)
    }

    public init(payload: [UInt8]) throws(ProtocolError) {
        guard payload.count == 9, let result = Result(rawValue: payload[8]) else {
            throw .malformedPayload(.updateAck, reason: "expected a u64 request id and a result byte 0-3")
        }
        self.init(requestID: BigEndian.uint64(payload, at: 0), result: result)
    }
}

/// Big-endian integers in binary payloads.
enum BigEndian {
    static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        return value
    }
}
