import AsyncHTTPClient
import BotRuntime
import BotmasterIPC

/// What a handler is given: one job's messages from one chat. This is also the JSON document
/// the `http` handler POSTs and the `command` handler reads on stdin.
public struct HandlerRequest: Codable, Sendable, Equatable {
    public struct ChatInfo: Codable, Sendable, Equatable {
        public var id: Int64
        public var type: String
    }

    public struct UserInfo: Codable, Sendable, Equatable {
        public var id: Int64
        public var firstName: String?
        public var username: String?

        enum CodingKeys: String, CodingKey {
            case id, username
            case firstName = "first_name"
        }
    }

    public struct OriginalMessage: Codable, Sendable, Equatable {
        public var updateID: Int64
        public var messageID: Int64
        public var text: String

        enum CodingKeys: String, CodingKey {
            case text
            case updateID = "update_id", messageID = "message_id"
        }
    }

    /// The bot id (`workers/<id>.toml`).
    public var bot: String
    public var chat: ChatInfo
    public var user: UserInfo?
    /// The messages' texts in order, joined by newlines.
    public var text: String
    public var messages: [OriginalMessage]
}

/// A handler's answer: `reply` is sent to the chat (nothing when absent or empty); `handoff:
/// true` hands the chat to the operator.
public struct HandlerReply: Codable, Sendable, Equatable {
    public var reply: String?
    public var handoff: Bool?

    public init(reply: String?, handoff: Bool? = nil) {
        self.reply = reply
        self.handoff = handoff
    }
}

/// Why a handler failed; the job is retried and finally dead-lettered with this reason.
public struct HandlerFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Turns a job into a reply.
public protocol BatchHandler: Sendable {
    func handle(_ request: HandlerRequest) async throws(HandlerFailure) -> HandlerReply
}

/// The demo handler: answers with the merged text.
public struct EchoHandler: BatchHandler {
    public init() {}

    public func handle(_ request: HandlerRequest) async throws(HandlerFailure) -> HandlerReply {
        HandlerReply(reply: request.text)
    }
}

extension BotEngine {
    /// The handler a bot's settings name.
    /// - Parameter environment: the worker's environment without the token variable: what a
    ///   `command` handler's program sees.
    package static func makeHandler(_ handler: BotSettings.Handler, http: HTTPClient, environment: [String: String]) -> any BatchHandler {
        switch handler.kind {
        case .echo: EchoHandler()
        case .http: HTTPHandler(http: http, url: handler.url ?? "", timeout: .milliseconds(handler.timeoutMs))
        case .command:
            CommandHandler(argv: handler.argv ?? ["false"], timeout: .milliseconds(handler.timeoutMs), environment: environment)
        }
    }
}
