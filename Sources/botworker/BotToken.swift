import BotmasterIPC
import BotmasterSystem
import BotworkerKit

/// Reads a bot's token from where its settings say: the settings themselves (a bot from the
/// HTTP fleet source), an environment variable or a file. The
/// token is returned to the Bot API client only; errors name the variable or file, never the
/// value.
enum BotToken {
    static func resolve(_ settings: BotSettings, environment: [String: String]) throws(WorkerPayloadError) -> String {
        let token: String
        if let given = settings.token {
            token = given.value.trimmingSpaces()
        } else if let name = settings.tokenEnv {
            guard let value = environment[name]?.trimmingSpaces(), !value.isEmpty else {
                throw WorkerPayloadError("token_env names \(name), which is not set in the worker's environment")
            }
            token = value
        } else if let path = settings.tokenFile {
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readRegularFile(path, maximumBytes: 4096)
            } catch {
                throw WorkerPayloadError("token_file \(path) \(error)")
            }
            let firstLine = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            token = firstLine.trimmingSpaces()
            guard !token.isEmpty else { throw WorkerPayloadError("token_file \(path) is empty") }
        } else {
            throw WorkerPayloadError("the bot has neither token_env nor token_file")
        }
        guard token.contains(":"), !token.contains("/"), !token.contains(" ") else {
            throw WorkerPayloadError(
                "the token from \(settings.tokenEnv ?? settings.tokenFile ?? "the fleet source") is not a Bot API token (<id>:<secret>)")
        }
        return token
    }
}
