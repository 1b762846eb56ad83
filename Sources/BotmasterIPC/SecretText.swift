/// A secret (a bot token) that must never reach a log line: it prints, dumps and reflects as
/// `<redacted>`, and only ``value`` gives it out. Encoded as a plain JSON string, because it
/// travels over the worker's private pipe.
public struct SecretText: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret itself: for the one place that uses it (the Bot API client).
    public let value: String

    public init(_ value: String) { self.value = value }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
