import AsyncHTTPClient
import BotAPI
import BotmasterIPC
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The sandbox's HTTP face: the Bot API at `/bot<token>/<method>` and test controls under
/// `/sandbox/`.
public enum SandboxServer {
    /// The routes.
    public static func router(sandbox: Sandbox) -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        let api: @Sendable (Request, SandboxRequestContext) async throws -> Response = { request, context in
            let tokenSegment = try context.parameters.require("token")
            let method = try context.parameters.require("method")
            guard let botID = botID(fromPathSegment: tokenSegment) else {
                return failure(Sandbox.Failure(code: 401, description: "Unauthorized"))
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            let parameters = CallParameters.of(contentType: request.headers[.contentType], body: body, query: request.uri.query)
            return await BotAPIMethods.call(method, bot: botID, parameters: parameters, caller: context.caller, sandbox: sandbox)
        }
        router.get("/:token/:method", use: api)
        router.post("/:token/:method", use: api)

        router.get("/sandbox/bots") { _, _ in json(await sandbox.summaries()) }
        router.get("/sandbox/bots/:bot") { _, context in
            json(await sandbox.summary(bot: try context.parameters.require("bot", as: Int64.self)))
        }
        router.delete("/sandbox/bots/:bot") { _, context in
            await sandbox.reset(bot: try context.parameters.require("bot", as: Int64.self))
            return json(["ok": true])
        }
        router.post("/sandbox/bots/:bot/messages") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            let body = try await request.body.collect(upTo: 16 << 20)
            if let message = try? JSONDecoder().decode(InjectedMessage.self, from: body) {
                return json(await sandbox.inject(bot: bot, message))
            }
            // A list writes many at once, in order (a load generator's burst).
            guard let messages = try? JSONDecoder().decode([InjectedMessage].self, from: body) else {
                return badRequest(
                    "expected {\"chat_id\": <int>, \"text\": \"…\"} with optional user_id, first_name, reply_to_message_id, or a list of them"
                )
            }
            var updates: [Update] = []
            for message in messages { updates.append(await sandbox.inject(bot: bot, message)) }
            return json(updates)
        }
        router.post("/sandbox/bots/:bot/updates") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            guard let update = try await decode(Update.self, from: request) else { return badRequest("expected a Bot API Update object") }
            await sandbox.injectRaw(bot: bot, update)
            return json(update)
        }
        router.get("/sandbox/bots/:bot/sent") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            let chat = request.uri.queryParameters.get("chat_id", as: Int64.self)
            let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
            return json(await sandbox.sent(bot: bot, chat: chat, after: after))
        }
        router.get("/sandbox/bots/:bot/polls") { _, context in
            json(await sandbox.polls(bot: try context.parameters.require("bot", as: Int64.self)))
        }
        router.get("/sandbox/bots/:bot/calls") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            let method = request.uri.queryParameters.get("method")
            let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
            return json(await sandbox.calls(bot: bot, method: method, after: after))
        }
        router.post("/sandbox/bots/:bot/chats") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            guard let chats = try await decode(SandboxChats.self, from: request) else {
                return badRequest("expected {\"blocked\": [chat ids], \"missing\": [chat ids]} (either may be left out)")
            }
            await sandbox.setChats(bot: bot, chats)
            return json(["ok": true])
        }
        router.post("/sandbox/bots/:bot/faults") { request, context in
            let bot = try context.parameters.require("bot", as: Int64.self)
            guard let fault = try await decode(SandboxFault.self, from: request), fault.count > 0 else {
                return badRequest(
                    "expected {\"status\": 429, \"retry_after\": 2, \"count\": 1} or {\"latency_ms\": 50, \"count\": 10}, optionally with \"method\""
                )
            }
            await sandbox.addFault(bot: bot, fault)
            return json(["ok": true])
        }
        return router
    }

    /// `bot123456:ABC…` → 123456; `nil` for anything else.
    static func botID(fromPathSegment segment: String) -> Int64? {
        guard segment.hasPrefix("bot"), let colon = segment.firstIndex(of: ":") else { return nil }
        let secret = segment[segment.index(after: colon)...]
        guard !secret.isEmpty else { return nil }
        return Int64(segment[segment.index(segment.startIndex, offsetBy: 3)..<colon])
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from request: Request) async throws -> Value? {
        let body = try await request.body.collect(upTo: 1 << 20)
        return try? JSONDecoder().decode(type, from: body)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let body: ByteBuffer
        if let writable = value as? any JSONWritable {
            // The Bot API's answers, written by hand: the same bytes as the encoder below.
            body = ByteBuffer(bytes: writable.jsonBytes)
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = ByteBuffer(data: (try? encoder.encode(value)) ?? Data("{}".utf8))
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }

    static func badRequest(_ message: String) -> Response {
        json(["error": message], status: .badRequest)
    }

    static func failure(_ failure: Sandbox.Failure) -> Response {
        let body = APIResponse<Bool>(
            ok: false, errorCode: failure.code, description: failure.description,
            parameters: failure.retryAfter.map { ResponseParameters(retryAfter: $0) })
        return json(body, status: HTTPResponse.Status(code: failure.code))
    }

    /// Posts an update to a webhook with the secret header; `true` on a 2xx answer.
    public static func deliverer(http: HTTPClient) -> @Sendable (Update, SetWebhook) async -> Bool {
        { update, webhook in
            var request = HTTPClientRequest(url: webhook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let secret = webhook.secretToken { request.headers.add(name: "X-Telegram-Bot-Api-Secret-Token", value: secret) }
            request.body = .bytes(ByteBuffer(bytes: update.jsonBytes))
            guard let response = try? await http.execute(request, timeout: .seconds(10)) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 20)
            return response.status.code / 100 == 2
        }
    }
}

/// The sandbox's request context: the basic one plus who called (host and connection), so a
/// long poll is recorded with its caller's host and ends when the caller goes away.
public struct SandboxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let caller: SandboxCaller

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = SandboxCaller(host: source.channel.remoteAddress?.ipAddress ?? "", connectionClosed: source.channel.closeFuture)
    }
}
