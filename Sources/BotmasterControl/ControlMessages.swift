import BotmasterIPC

/// A request from the CLI to the master: one JSON object on one line.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// `status` (with `id`: only that worker), `describe`, `restart`, `stop-bot` and `start-bot` (with
    /// `id`), `reload`, `stop` (the master), `dlq`
    /// (with `id`, `action` and for one entry `key`), and the fleet API's `bot-get`, `bot-put`,
    /// `bot-patch` (with `id` and `document`) and `bot-remove` (with `id`), and `broadcast` (with
    /// `id` and `broadcast`).
    public var command: String
    /// The bot id, for commands about one worker.
    public var id: String?
    /// The `dlq` action: `list`, `retry` or `purge`.
    public var action: DeadLetterRequest.Action?
    /// The dead letter's key, for `dlq retry` of one entry.
    public var key: String?
    /// A bot's keys (`bot-put`) or a merge patch of them (`bot-patch`), as the fleet API takes.
    public var document: [String: JSONValue]?
    /// The `broadcast` action for the bot `id` (its request id is the master's to set).
    public var broadcast: BroadcastRequest?

    public init(
        command: String, id: String? = nil, action: DeadLetterRequest.Action? = nil, key: String? = nil,
        document: [String: JSONValue]? = nil, broadcast: BroadcastRequest? = nil
    ) {
        self.command = command
        self.id = id
        self.action = action
        self.key = key
        self.document = document
        self.broadcast = broadcast
    }

    public static let status = ControlRequest(command: "status")
    public static let stop = ControlRequest(command: "stop")
    public static let reload = ControlRequest(command: "reload")
    public static func restart(_ id: String) -> ControlRequest { ControlRequest(command: "restart", id: id) }
    public static func stopBot(_ id: String) -> ControlRequest { ControlRequest(command: "stop-bot", id: id) }
    public static func startBot(_ id: String) -> ControlRequest { ControlRequest(command: "start-bot", id: id) }
    public static func statusOf(_ id: String) -> ControlRequest { ControlRequest(command: "status", id: id) }
}

/// The master's answer: one JSON object on one line.
public struct ControlResponse: Codable, Sendable, Equatable {
    /// Whether the request was carried out.
    public var ok: Bool
    /// A one-line reason when `ok` is false.
    public var error: String?
    /// A one-line confirmation for people.
    public var message: String?
    /// The fleet, for `status`.
    public var status: FleetStatus?
    /// The worker's answer, for `dlq`.
    public var deadLetters: DeadLetterReply?
    /// The bot's keys, for `bot-get`.
    public var document: [String: JSONValue]?
    /// Every problem of a rejected fleet change.
    public var problems: [String]?
    /// The bot, for `describe`.
    public var description: BotDescription?
    /// The broadcasts made, listed or acted on, for `broadcast`.
    public var broadcasts: [BroadcastInfo]?

    public init(
        ok: Bool, error: String? = nil, message: String? = nil, status: FleetStatus? = nil, deadLetters: DeadLetterReply? = nil,
        document: [String: JSONValue]? = nil, problems: [String]? = nil, description: BotDescription? = nil,
        broadcasts: [BroadcastInfo]? = nil
    ) {
        self.broadcasts = broadcasts
        self.ok = ok
        self.error = error
        self.message = message
        self.status = status
        self.deadLetters = deadLetters
        self.document = document
        self.problems = problems
        self.description = description
    }

    enum CodingKeys: String, CodingKey {
        case ok, error, message, status, document, problems, description, broadcasts
        case deadLetters = "dead_letters"
    }

    public static func failure(_ error: String) -> ControlResponse { ControlResponse(ok: false, error: error) }
}
