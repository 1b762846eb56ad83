/// The welcome and config frames read by hand (``JSONValueParser``): every starting worker reads
/// a welcome, and `JSONDecoder` was most of its handshake's CPU. The reasons a bad payload gets
/// read like `JSONDecoder`'s (``JSONPayload``).
extension Welcome {
    init(parsing frame: Frame) throws(ProtocolError) {
        let fields = try SettingsPayload(frame)
        self.init(
            protocolVersion: try fields.integer("protocol"), heartbeatIntervalMs: try fields.integer("heartbeat_interval_ms"),
            logLevel: try fields.string("log_level"), settings: try fields.object("settings"))
    }
}

extension ConfigUpdate {
    init(parsing frame: Frame) throws(ProtocolError) {
        let fields = try SettingsPayload(frame)
        self.init(heartbeatIntervalMs: try fields.optionalInteger("heartbeat_interval_ms"), settings: try fields.optionalObject("settings"))
    }
}

/// A settings frame's top-level object, with typed reads that fail as protocol errors.
private struct SettingsPayload {
    let type: FrameType
    let members: [String: JSONValue]

    init(_ frame: Frame) throws(ProtocolError) {
        type = frame.type
        let value: JSONValue
        do {
            value = try JSONValueParser.parse(frame.payload)
        } catch {
            throw .malformedPayload(frame.type, reason: "not the expected JSON object (invalid JSON: \(error))")
        }
        guard case .object(let members) = value else { throw Self.wrongType(frame.type, at: "") }
        self.members = members
    }

    func integer(_ key: String) throws(ProtocolError) -> Int {
        guard let value = try optionalInteger(key) else { throw missing(key) }
        return value
    }

    func optionalInteger(_ key: String) throws(ProtocolError) -> Int? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let number)?:
            guard let integer = Int(exactly: number) else { throw Self.wrongType(type, at: key) }
            return integer
        default: throw Self.wrongType(type, at: key)
        }
    }

    func string(_ key: String) throws(ProtocolError) -> String {
        switch members[key] {
        case nil, .null?: throw missing(key)
        case .string(let text)?: return text
        default: throw Self.wrongType(type, at: key)
        }
    }

    func object(_ key: String) throws(ProtocolError) -> [String: JSONValue] {
        guard let value = try optionalObject(key) else { throw missing(key) }
        return value
    }

    func optionalObject(_ key: String) throws(ProtocolError) -> [String: JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .object(let object)?: return object
        default: throw Self.wrongType(type, at: key)
        }
    }

    private func missing(_ key: String) -> ProtocolError {
        .malformedPayload(type, reason: "not the expected JSON object (missing key \"\(key)\")")
    }

    private static func wrongType(_ type: FrameType, at key: String) -> ProtocolError {
        .malformedPayload(type, reason: "not the expected JSON object (wrong type at \"\(key)\")")
    }
}
