import ArgumentParser
import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botmaster add <id> key=value…`: a new bot, written to `workers/<id>.toml` and started.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a bot to the running fleet: validated, written to workers/<id>.toml and started.",
        discussion: """
            Settings are the keys of workers/<id>.toml, as key=value (a section's key as \
            section.key), or a JSON object in a file with --json. A value is read as TOML (true, \
            42, ["a", "b"]) and otherwise taken as text: \
            botmaster add support token_env=SUPPORT_TOKEN mode=webhook limits.memory=200MB
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "The new bot's id.") var id: String
    @Argument(help: "key=value settings.") var settings: [String] = []
    @Option(name: .long, help: "A JSON file with the bot's keys (key=value settings apply on top).") var json: String?

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            if (try? context.request(ControlRequest(command: "bot-get", id: id))) != nil {
                throw CLIFailure("bot \(id) already exists; change it with `botmaster edit \(id)`")
            }
            var document = try FleetEdit.jsonFile(json)
            try FleetEdit.assign(settings, into: &document)
            let answer = try context.request(ControlRequest(command: "bot-put", id: id, document: document))
            Terminal.write("added \(id); \(answer.message ?? "reloaded")\n")
        } catch {
            error.exit()
        }
    }
}

/// `botmaster edit <id> key=value… [--unset key]`: change a bot's settings at run time.
struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Change a bot's settings: validated, written to its file and applied like a reload of that bot.",
        discussion: """
            Live settings ([limits], [batch], log_level, nice…) apply to the running worker; process \
            settings (command, env, token, mode) restart only that bot. Without settings, prints the \
            bot's keys as JSON. Example: botmaster edit support batch.quiet=2s --unset limits.memory
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "The bot's id.") var id: String
    @Argument(help: "key=value settings.") var settings: [String] = []
    @Option(name: .long, help: "A key to remove (section.key for a section's key); repeatable.") var unset: [String] = []
    @Option(name: .long, help: "A JSON merge patch in a file (RFC 7386: null removes a key).") var json: String?

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            guard !settings.isEmpty || !unset.isEmpty || json != nil else {
                let answer = try context.request(ControlRequest(command: "bot-get", id: id))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let text = (try? encoder.encode(answer.document ?? [:])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                Terminal.write(text + "\n")
                return
            }
            var patch = try FleetEdit.jsonFile(json)
            try FleetEdit.assign(settings, into: &patch)
            // A null in a merge patch removes the key.
            try FleetEdit.assign(unset.map { "\($0)=" }, into: &patch, value: { _ in .null })
            let answer = try context.request(ControlRequest(command: "bot-patch", id: id, document: patch))
            Terminal.write("edited \(id); \(answer.message ?? "reloaded")\n")
        } catch {
            error.exit()
        }
    }
}

/// `botmaster remove <id>`: stop a bot and delete its file.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a bot from the running fleet: its file is deleted and its worker drained and stopped.")

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "The bot's id.") var id: String

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let answer = try context.request(ControlRequest(command: "bot-remove", id: id))
            Terminal.write("removed \(id); \(answer.message ?? "reloaded")\n")
        } catch {
            error.exit()
        }
    }
}

/// What `add`, `edit` and `remove` share: the request to the master and reading settings.
enum FleetEdit {
    /// Sets `key=value` settings in `document`; `section.key` nests. A value is read as a TOML
    /// value where it is one (`true`, `42`, `["a"]`, `"quoted"`), else taken as text.
    static func assign(
        _ settings: [String], into document: inout [String: JSONValue], value: (String) -> JSONValue = parse
    ) throws(CLIFailure) {
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw CLIFailure("\"\(setting)\" is not key=value")
            }
            let path = setting[..<equals].split(separator: ".").map(String.init)
            set(path[...], to: value(String(setting[setting.index(after: equals)...])), in: &document)
        }
    }

    static func parse(_ raw: String) -> JSONValue {
        if let parsed = try? WorkerDocument.json(fromTOML: "v = \(raw)"), let value = parsed["v"] { return value }
        return .string(raw)
    }

    private static func set(_ path: ArraySlice<String>, to value: JSONValue, in document: inout [String: JSONValue]) {
        guard let first = path.first else { return }
        guard path.count > 1 else {
            document[first] = value
            return
        }
        var inner: [String: JSONValue]
        if case .object(let existing)? = document[first] { inner = existing } else { inner = [:] }
        set(path.dropFirst(), to: value, in: &inner)
        document[first] = .object(inner)
    }

    /// The JSON object in `path`, or an empty one without a path.
    static func jsonFile(_ path: String?) throws(CLIFailure) -> [String: JSONValue] {
        guard let path else { return [:] }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readRegularFile(path, maximumBytes: FleetLoader.maximumFileBytes)
        } catch {
            throw CLIFailure("\(path) \(error)")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)), case .object(let object) = value else {
            throw CLIFailure("\(path) is not a JSON object")
        }
        return object
    }
}
