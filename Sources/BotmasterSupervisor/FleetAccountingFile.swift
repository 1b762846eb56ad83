import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `run/state.json`: each bot's restart accounting, so that `botmaster restart` (the whole
/// master) keeps restart counters, restart history and errored states.
struct FleetAccountingFile {
    struct Contents: Codable {
        var version = 1
        var workers: [String: WorkerLifecycle.Accounting] = [:]
        var restartRecords: [String: [RestartRecord]] = [:]

        enum CodingKeys: String, CodingKey {
            case version, workers
            case restartRecords = "restart_records"
        }
    }

    let path: String

    /// The saved accounting, or empty when there is none or it cannot be read (a damaged file
    /// costs counters, never the start of the fleet).
    func load() -> Contents {
        guard let bytes = try? FileSystem.readRegularFile(path, maximumBytes: 64 << 20),
            let contents = try? JSONDecoder().decode(Contents.self, from: Data(bytes))
        else {
            return Contents()
        }
        return contents
    }

    func save(_ contents: Contents) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeFileAtomically(path, Array(try encoder.encode(contents)), mode: 0o600)
    }
}
