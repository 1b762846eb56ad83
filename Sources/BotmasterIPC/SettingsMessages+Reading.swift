#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The welcome and config frames read by ``JSONReader``, with `JSONDecoder` (``JSONPayload``)
/// for whatever the reader leaves to it — so both give the same value or the same refusal. Every
/// starting worker reads a welcome, and `JSONDecoder`'s first use in the process (with
/// `JSONValue`'s `Decodable` conformance, a `try?` per type it probes) was a tenth of a start.
extension Welcome {
    init(reading frame: Frame) throws(ProtocolError) {
        let read = try? JSONReader.read(frame.payload) { reader throws(JSONReader.Failure) -> Welcome in
            var version: Int?
            var interval: Int?
            var level: String?
            var settings: [String: JSONValue]?
            var seen = JSONReader.SeenFields()
            try reader.object { reader, key throws(JSONReader.Failure) in
                if key == "protocol" {
                    try seen.mark(0)
                    version = try reader.int()
                } else if key == "heartbeat_interval_ms" {
                    try seen.mark(1)
                    interval = try reader.int()
                } else if key == "log_level" {
                    try seen.mark(2)
                    level = try reader.string()
                } else if key == "settings" {
                    try seen.mark(3)
                    guard case .object(let object) = try reader.value() else { throw JSONReader.Failure() }
                    settings = object
                } else {
                    try reader.skip()
                }
            }
            guard let version, let interval, let level, let settings else { throw JSONReader.Failure() }
            return Welcome(protocolVersion: version, heartbeatIntervalMs: interval, logLevel: level, settings: settings)
        }
        if let read {
            self = read
        } else {
            self = try JSONPayload.decode(Welcome.self, from: frame)
        }
    }
}

extension ConfigUpdate {
    init(reading frame: Frame) throws(ProtocolError) {
        let read = try? JSONReader.read(frame.payload) { reader throws(JSONReader.Failure) -> ConfigUpdate in
            var update = ConfigUpdate()
            var seen = JSONReader.SeenFields()
            try reader.object { reader, key throws(JSONReader.Failure) in
                if key == "heartbeat_interval_ms" {
                    try seen.mark(0)
                    update.heartbeatIntervalMs = try reader.optionalInt()
                } else if key == "settings" {
                    try seen.mark(1)
                    switch try reader.value() {
                    case .null: update.settings = nil
                    case .object(let object): update.settings = object
                    default: throw JSONReader.Failure()
                    }
                } else {
                    try reader.skip()
                }
            }
            return update
        }
        if let read {
            self = read
        } else {
            self = try JSONPayload.decode(ConfigUpdate.self, from: frame)
        }
    }
}
