import BotAPI
import BotmasterIPC
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Dispatches one Bot API call to the sandbox, with injected faults applied first.
enum BotAPIMethods {
    static func call(_ method: String, bot: Int64, parameters: CallParameters, caller: SandboxCaller, sandbox: Sandbox) async -> Response {
        let arrived = await sandbox.now()
        var chat: Int64?
        let response = await answer(
            method, bot: bot, parameters: parameters, arrived: arrived, caller: caller, sandbox: sandbox, chat: &chat)
        if method != "getUpdates" {
            // The sending methods named their chat while answering; the others are read again.
            if chat == nil { chat = (try? parameters.decode(ChatOfCall.self))?.chatID }
            await sandbox.logCall(bot: bot, method, chat: chat, arrivedUs: arrived, status: Int(response.status.code))
        }
        return response
    }

    /// The `chat_id` of a call, for the call log.
    private struct ChatOfCall: Decodable {
        var chatID: Int64?
        enum CodingKeys: String, CodingKey { case chatID = "chat_id" }
    }

    private static func answer(
        _ method: String, bot: Int64, parameters: CallParameters, arrived: Int64, caller: SandboxCaller, sandbox: Sandbox,
        chat: inout Int64?
    ) async -> Response {
        if let fault = await sandbox.begin(method, bot: bot) {
            if let latency = fault.latencyMs { try? await Task.sleep(for: .milliseconds(latency)) }
            if let status = fault.status {
                let description =
                    status == 429 ? "Too Many Requests: retry after \(fault.retryAfter ?? 1)" : "Internal Server Error (injected)"
                return SandboxServer.failure(
                    Sandbox.Failure(code: status, description: description, retryAfter: status == 429 ? fault.retryAfter ?? 1 : nil))
            }
        }
        switch method {
        case "getMe":
            return ok(await sandbox.getMe(bot: bot))
        case "getUpdates":
            return await respond(decode(GetUpdates.self, parameters)) { await sandbox.getUpdates(bot: bot, $0, caller: caller) }
        case "sendMessage":
            let request = decode(SendMessage.self, parameters)
            chat = try? request.get().chatID
            return await respond(request) { await sandbox.sendMessage(bot: bot, $0, arrivedUs: arrived) }
        case "forwardMessage", "copyMessage":
            let request = decode(MessageTransfer.self, parameters)
            chat = try? request.get().chatID
            return await respond(request) { request in
                let result = await sandbox.transfer(method, bot: bot, request, arrivedUs: arrived)
                return method == "copyMessage"
                    ? result.map { AnyResult.id(MessageID(messageID: $0.messageID)) } : result.map { .message($0) }
            }
        case "setWebhook":
            return await respond(decode(SetWebhook.self, parameters)) { await sandbox.setWebhook(bot: bot, $0) }
        case "deleteWebhook":
            return await respond(decode(DeleteWebhook.self, parameters)) { .success(await sandbox.deleteWebhook(bot: bot, $0)) }
        default:
            return SandboxServer.failure(Sandbox.Failure(code: 404, description: "Not Found: method \(method) is not in the sandbox"))
        }
    }

    /// copyMessage answers with a MessageId, forwardMessage with a Message.
    enum AnyResult: Codable, Sendable {
        case message(Message)
        case id(MessageID)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .message(let message): try message.encode(to: encoder)
            case .id(let id): try id.encode(to: encoder)
            }
        }

        init(from decoder: any Decoder) throws { self = .message(try Message(from: decoder)) }
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ parameters: CallParameters) -> Result<Value, Sandbox.Failure> {
        do {
            return .success(try parameters.decode(type))
        } catch {
            return .failure(Sandbox.Failure(code: 400, description: "Bad Request: \(reason(error))"))
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let unsupported = error as? CallParameters.Unsupported { return unsupported.description }
        return switch error as? DecodingError {
        case .keyNotFound(let key, _): "\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "wrong type of \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "invalid JSON"
        }
    }

    private static func respond<Request, Result: Codable & Sendable>(
        _ request: Swift.Result<Request, Sandbox.Failure>, _ perform: (Request) async -> Swift.Result<Result, Sandbox.Failure>
    ) async -> Response {
        switch request {
        case .failure(let failure): return SandboxServer.failure(failure)
        case .success(let request):
            switch await perform(request) {
            case .success(let result): return ok(result)
            case .failure(let failure): return SandboxServer.failure(failure)
            }
        }
    }

    private static func ok<Result: Codable & Sendable>(_ result: Result) -> Response {
        SandboxServer.json(APIResponse(ok: true, result: result))
    }
}

extension BotAPIMethods.AnyResult: JSONWritable {
    func write(to json: inout JSONWriter) {
        switch self {
        case .message(let message): message.write(to: &json)
        case .id(let id): id.write(to: &json)
        }
    }
}
