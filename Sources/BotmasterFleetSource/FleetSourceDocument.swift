import BotmasterConfig
import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The fleet as the HTTP fleet source returns it:
/// `{"bots": [{"id": "support", "token": "123:ABC…", <the keys of workers/<id>.toml>}]}`, with
/// sections (`limits`, `batch`, `env`…) as objects. Each bot is validated exactly as a file is
/// (through the same parser), and the whole document is taken or, on any problem, refused.
public enum FleetSourceDocument {
    /// The bots, or every problem of the document.
    public static func parse(_ bytes: [UInt8]) -> Result<[SourcedBot], ConfigProblems> {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            return failure("", "the answer is not JSON")
        }
        guard case .object(let top) = root, case .array(let entries)? = top["bots"] else {
            return failure("", "the answer must be an object with a \"bots\" array")
        }
        var bots: [SourcedBot] = []
        var problems: [ConfigProblem] = []
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            let place = "\(DefinitionOrigin.fleetSourceName), bots[\(index)]"
            guard case .object(var keys) = entry else {
                problems.append(ConfigProblem(file: place, key: "", message: "must be an object"))
                continue
            }
            guard case .string(let id)? = keys.removeValue(forKey: "id"), WorkerDefinition.isValidID(id) else {
                problems.append(ConfigProblem(file: place, key: "id", message: "must be a bot id: 1 to 64 of A-Z a-z 0-9 _ -"))
                continue
            }
            let file = "\(DefinitionOrigin.fleetSourceName), bot \(id)"
            guard seen.insert(id).inserted else {
                problems.append(ConfigProblem(file: file, key: "id", message: "bot id \"\(id)\" appears more than once"))
                continue
            }
            guard case .string(let token)? = keys.removeValue(forKey: "token"), isTokenShaped(token) else {
                // The value is never echoed: it may be a token with a typo.
                problems.append(ConfigProblem(file: file, key: "token", message: "must be the bot's token (<bot id>:<secret>)"))
                continue
            }
            switch WorkerDocument.toml(from: keys, file: file) {
            case .failure(let failure):
                problems.append(contentsOf: failure.problems)
            case .success(let text):
                switch WorkerDefinitionParser.parse(text, file: file, defaultID: id, sourceToken: token) {
                case .failure(let failure):
                    problems.append(contentsOf: failure.problems)
                case .success(var definition):
                    definition.file = DefinitionOrigin.fleetSourceName
                    definition.origin = .fleetSource(tokenFingerprint: TokenFingerprint.of(token))
                    bots.append(SourcedBot(definition: definition, keys: keys))
                }
            }
        }
        return problems.isEmpty ? .success(bots) : .failure(ConfigProblems(problems))
    }

    /// `<digits>:<secret>` with the secret in Telegram's alphabet: what the Bot API accepts in a
    /// URL path, so nothing else can be smuggled into one.
    static func isTokenShaped(_ token: String) -> Bool {
        let parts = token.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, token.utf8.count <= 256 else { return false }
        return parts[0].utf8.allSatisfy { (0x30...0x39).contains($0) }
            && parts[1].utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || byte == 0x5f
                    || byte == 0x2d
            }
    }

    private static func failure(_ key: String, _ message: String) -> Result<[SourcedBot], ConfigProblems> {
        .failure(ConfigProblems([ConfigProblem(file: DefinitionOrigin.fleetSourceName, key: key, message: message)]))
    }
}
