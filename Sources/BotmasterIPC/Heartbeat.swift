/// Worker → master: proof of life with the worker's counters.
///
/// Binary, not JSON, because it is the one frame that arrives all the time (1000 workers at a 1 s
/// interval is 1000 frames a second): the payload is a sequence of big-endian `UInt64` values.
/// The first three are fixed; a newer worker may append more, which an older master keeps in
/// ``extra`` and otherwise ignores.
public struct Heartbeat: Sendable, Equatable {
    /// Milliseconds since the worker process started.
    public var uptimeMs: UInt64
    /// Messages the worker has handled since it started.
    public var messages: UInt64
    /// Errors the worker has counted since it started.
    public var errors: UInt64
    /// Counters after the first three, in the order the worker sent them.
    public var extra: [UInt64]

    /// Number of counters every heartbeat carries.
    public static let fixedFieldCount = 3

    public init(uptimeMs: UInt64, messages: UInt64, errors: UInt64, extra: [UInt64] = []) {
        self.uptimeMs = uptimeMs
        self.messages = messages
        self.errors = errors
        self.extra = extra
    }

    /// Every counter in order: the fixed three, then ``extra`` (what a heartbeat page holds).
    public var counters: [UInt64] { [uptimeMs, messages, errors] + extra }

    /// A heartbeat from its counters in order, or `nil` when there are fewer than the fixed
    /// three.
    public init?(counters: [UInt64]) {
        guard counters.count >= Self.fixedFieldCount else { return nil }
        self.init(
            uptimeMs: counters[0], messages: counters[1], errors: counters[2], extra: Array(counters[Self.fixedFieldCount...]))
    }

    /// The frame carrying this heartbeat.
    public func frame() -> Frame {
        var payload: [UInt8] = []
        payload.reserveCapacity((Self.fixedFieldCount + extra.count) * 8)
        for value in counters {
            for shift in stride(from: 56, through: 0, by: -8) {
                payload.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        return Frame(type: .heartbeat, payload: payload)
    }

    /// Decodes a heartbeat payload.
    public init(payload: [UInt8]) throws(ProtocolError) {
        guard payload.count % 8 == 0, payload.count >= Self.fixedFieldCount * 8 else {
            throw .malformedPayload(
                .heartbeat,
                reason: "\(payload.count) bytes; expected a multiple of 8 and at least \(Self.fixedFieldCount * 8)"
            )
        }
        // Straight into the fields: the master decodes one of these per worker per interval.
        func value(at field: Int) -> UInt64 {
            var value: UInt64 = 0
            let start = payload.startIndex + field * 8
            for offset in 0..<8 { value = value << 8 | UInt64(payload[start + offset]) }
            return value
        }
        let fields = payload.count / 8
        let extra = fields == Self.fixedFieldCount ? [] : (Self.fixedFieldCount..<fields).map(value(at:))
        self.init(uptimeMs: value(at: 0), messages: value(at: 1), errors: value(at: 2), extra: extra)
    }
}
