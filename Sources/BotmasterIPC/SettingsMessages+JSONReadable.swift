/// The welcome and config frames have hand-written readers: every starting worker reads a
/// welcome, and `JSONDecoder`'s first use in the process (with `JSONValue`'s `Decodable`
/// conformance, a `try?` per type it probes) was a tenth of a start. ``JSONPayload`` falls back
/// to `JSONDecoder` for what they leave to it.
extension Welcome: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
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
        self.init(protocolVersion: version, heartbeatIntervalMs: interval, logLevel: level, settings: settings)
    }
}

extension ConfigUpdate: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        self.init()
        var seen = JSONReader.SeenFields()
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "heartbeat_interval_ms" {
                try seen.mark(0)
                heartbeatIntervalMs = try reader.optionalInt()
            } else if key == "settings" {
                try seen.mark(1)
                switch try reader.value() {
                case .null: settings = nil
                case .object(let object): settings = object
                default: throw JSONReader.Failure()
                }
            } else {
                try reader.skip()
            }
        }
    }
}
