import ArgumentParser

/// `botmaster check`: validate the fleet without starting anything.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate workers/*.toml and the environment; print every problem as `file: key: problem`.")

    @OptionGroup var homeOptions: HomeOptions

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let (_, fleet) = try context.loadOrFail()
            let enabled = fleet.enabledWorkers.count
            Terminal.write("workers/: \(fleet.workers.count) bot\(fleet.workers.count == 1 ? "" : "s") (\(enabled) enabled), no problems\n")
        } catch {
            error.exit()
        }
    }
}
