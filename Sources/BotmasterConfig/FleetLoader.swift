import BotmasterSystem

/// The fleet as read from `workers/`: every definition that parsed, and every problem found.
public struct FleetDefinition: Sendable {
    /// Definitions in id order, including disabled ones.
    public var workers: [WorkerDefinition]
    /// Every problem found; the fleet is usable only when this is empty.
    public var problems: [ConfigProblem]

    public init(workers: [WorkerDefinition], problems: [ConfigProblem]) {
        self.workers = workers
        self.problems = problems
    }

    /// The definitions the master should run.
    public var enabledWorkers: [WorkerDefinition] { workers.filter(\.enabled) }
}

/// Reads every `*.toml` file of a fleet directory, and joins the bots of the HTTP fleet source.
public enum FleetLoader {
    /// The largest `workers/<id>.toml` read; a definition is a few hundred bytes.
    public static let maximumFileBytes = 1024 * 1024

    /// Loads the fleet.
    /// - Parameters:
    ///   - directory: the `workers/` directory.
    ///   - displayDirectory: how to name the directory in messages (e.g. `workers`).
    ///   - maximumWorkers: the most enabled bots the master will run; more is a problem.
    ///   - overrides: file names whose contents to take from here instead of the directory
    ///     (`nil`: as if the file were gone), to check a change before it is written.
    ///   - sourced: the bots of the HTTP fleet source; an id defined there and in a file is a
    ///     problem (neither wins silently).
    public static func load(
        directory: String, displayDirectory: String, maximumWorkers: Int, overrides: [String: [UInt8]?] = [:],
        sourced: [WorkerDefinition] = []
    ) -> FleetDefinition {
        guard let listed = FileSystem.directoryEntries(directory) else {
            return FleetDefinition(
                workers: [],
                problems: [ConfigProblem(file: displayDirectory, key: "", message: "cannot read the fleet directory")]
            )
        }
        var workers: [WorkerDefinition] = []
        var problems: [ConfigProblem] = []
        var filesByID: [String: String] = [:]
        let names = Set(listed).union(overrides.compactMap { $0.value == nil ? nil : $0.key }).sorted()
        for name in names where name.hasSuffix(".toml") && !name.hasPrefix(".") {
            let displayPath = "\(displayDirectory)/\(name)"
            let bytes: [UInt8]
            if let override = overrides[name] {
                guard let override else { continue }
                bytes = override
            } else {
                do {
                    bytes = try FileSystem.readRegularFile("\(directory)/\(name)", maximumBytes: maximumFileBytes)
                } catch {
                    problems.append(ConfigProblem(file: displayPath, key: "", message: error.description))
                    continue
                }
            }
            switch WorkerDefinitionParser.parse(
                String(decoding: bytes, as: UTF8.self), file: displayPath, defaultID: String(name.dropLast(5)))
            {
            case .success(let definition):
                if let other = filesByID[definition.id] {
                    problems.append(
                        ConfigProblem(file: displayPath, key: "id", message: "bot id \"\(definition.id)\" is already used by \(other)"))
                    continue
                }
                filesByID[definition.id] = displayPath
                workers.append(definition)
            case .failure(let failure):
                problems.append(contentsOf: failure.problems)
            }
        }
        for definition in sourced {
            if let file = filesByID[definition.id] {
                problems.append(
                    ConfigProblem(
                        file: file, key: "id",
                        message: "bot id \"\(definition.id)\" is also defined by the fleet source (BOTMASTER_FLEET_URL); remove one"))
                workers.removeAll { $0.id == definition.id }
            }
            workers.append(definition)
        }
        let enabled = workers.filter(\.enabled).count
        if enabled > maximumWorkers {
            problems.append(
                ConfigProblem(
                    file: displayDirectory, key: "",
                    message:
                        "\(enabled) enabled bots exceed the limit of \(maximumWorkers) (BOTMASTER_MAX_WORKERS, BOTMASTER_MAX_WORKERS_PER_CORE)"
                ))
        }
        workers.sort { $0.id < $1.id }
        return FleetDefinition(workers: workers, problems: problems)
    }
}
