import BotmasterIPC

/// A bot of the HTTP fleet source: its definition (token included, in memory only) and the keys
/// it was given with, without the token, which is what the fleet API shows of it.
public struct SourcedBot: Sendable, Equatable {
    public var definition: WorkerDefinition
    /// The bot's keys as the source gave them, minus `id` and `token`.
    public var keys: [String: JSONValue]

    public init(definition: WorkerDefinition, keys: [String: JSONValue]) {
        self.definition = definition
        self.keys = keys
    }
}
