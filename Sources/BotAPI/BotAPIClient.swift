import AsyncHTTPClient
import BotmasterIPC
import NIOCore
import NIOFoundationCompat

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a Bot API call failed. Descriptions never contain the token or message texts.
public enum BotAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API answered `ok: false` (or a non-2xx status) with this code and description.
    case api(code: Int, description: String, retryAfter: Int?)
    /// No usable answer: connection refused, timeout, a broken body.
    case transport(String)

    /// HTTP 429: flood control, with the seconds to wait.
    public var retryAfter: Int? {
        if case .api(429, _, let seconds) = self { return seconds ?? 1 }
        return nil
    }

    /// Worth trying again later: 429, 5xx and transport failures; a 4xx is the request's fault.
    public var isTransient: Bool {
        switch self {
        case .api(let code, _, _): code == 429 || code >= 500
        case .transport: true
        }
    }

    /// 409: another poller or a webhook holds this token's updates.
    public var isConflict: Bool {
        if case .api(409, _, _) = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .api(let code, let description, let retryAfter):
            "Bot API error \(code): \(description)" + (retryAfter.map { " (retry after \($0) s)" } ?? "")
        case .transport(let reason): "Bot API unreachable: \(reason)"
        }
    }
}

/// Calls the Bot API with AsyncHTTPClient: JSON bodies, `{"ok": …}` answers decoded into
/// `result` or a ``BotAPIError``.
public struct BotAPIClient: Sendable {
    private let http: HTTPClient
    private let base: String
    private let token: String
    private let prepared = PreparedRequests()

    /// - Parameters:
    ///   - http: the client (shared by every call of this worker).
    ///   - apiBase: `https://api.telegram.org` or a sandbox, without a trailing slash.
    ///   - token: the bot's token; it only ever appears in request paths.
    public init(http: HTTPClient, apiBase: String, token: String) {
        self.http = http
        self.base = apiBase
        self.token = token
    }

    /// Calls `method` with `parameters`; returns its `result`.
    package func call<Parameters: JSONWritable & Sendable, Result: JSONReadable & Codable & Sendable>(
        _ method: String, _ parameters: Parameters, returning: Result.Type, timeout: Duration = .seconds(30)
    ) async throws(BotAPIError) -> Result {
        let status: Int
        let bytes: ByteBuffer
        do {
            var request = try prepared.request(for: method) {
                try HTTPClient.Request(
                    url: "\(base)/bot\(token)/\(method)", method: .POST,
                    headers: ["Content-Type": "application/json", "Connection": "keep-alive"])
            }
            request.body = .byteBuffer(ByteBuffer(bytes: parameters.jsonBytes))
            let answer = try await http.post(request, maximumBody: 8 << 20, timeout: timeout)
            status = Int(answer.status)
            bytes = answer.body
        } catch {
            throw .transport(redacted("\(error)"))
        }
        let decoded: APIResponse<Result>
        do {
            decoded = try APIResponse<Result>.decode(bytes)
        } catch {
            throw status / 100 == 2
                ? .transport("\(method): the answer is not a Bot API response")
                : .api(code: status, description: "HTTP \(status) without a Bot API body", retryAfter: nil)
        }
        guard decoded.ok, let result = decoded.result else {
            throw .api(
                code: decoded.errorCode ?? status, description: redacted(decoded.description ?? "no description"),
                retryAfter: decoded.parameters?.retryAfter)
        }
        return result
    }

    /// Error texts from the transport may quote the URL, which holds the token.
    private func redacted(_ text: String) -> String {
        token.isEmpty ? text : text.replacing(token, with: "<token>")
    }

    // MARK: The methods the runtime uses

    public func getMe() async throws(BotAPIError) -> User {
        try await call("getMe", NoParameters(), returning: User.self)
    }

    /// Long polling: waits up to `timeout` seconds for updates at or after `offset`.
    public func getUpdates(offset: Int64?, limit: Int = 100, timeout: Int) async throws(BotAPIError) -> [Update] {
        try await call(
            "getUpdates", GetUpdates(offset: offset, limit: limit, timeout: timeout, allowedUpdates: ["message"]),
            returning: [Update].self, timeout: .seconds(timeout + 10))
    }

    /// Sends a message; returns the sent message's id (the runtime needs no more of it, and
    /// decoding only the id is a measurable part of a busy bot's CPU).
    public func sendMessage(_ message: SendMessage) async throws(BotAPIError) -> MessageID {
        try await call("sendMessage", message, returning: MessageID.self)
    }

    public func forwardMessage(_ transfer: MessageTransfer) async throws(BotAPIError) -> MessageID {
        try await call("forwardMessage", transfer, returning: MessageID.self)
    }

    public func copyMessage(_ transfer: MessageTransfer) async throws(BotAPIError) -> MessageID {
        try await call("copyMessage", transfer, returning: MessageID.self)
    }

    public func setWebhook(_ webhook: SetWebhook) async throws(BotAPIError) {
        _ = try await call("setWebhook", webhook, returning: Bool.self)
    }

    public func deleteWebhook(dropPendingUpdates: Bool = false) async throws(BotAPIError) {
        _ = try await call("deleteWebhook", DeleteWebhook(dropPendingUpdates: dropPendingUpdates), returning: Bool.self)
    }
}
