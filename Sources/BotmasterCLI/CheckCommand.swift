import ArgumentParser
import BotmasterConfig
import BotmasterFleetSource

/// `botmaster check`: validate the fleet without starting anything.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate workers/*.toml, the fleet source and the environment; print every problem as `file: key: problem`.",
        discussion:
            "With BOTMASTER_FLEET_URL set, the source is asked once and its bots are checked with the files' (a bot id defined in both is a problem)."
    )

    @OptionGroup var homeOptions: HomeOptions

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let (settings, files) = try context.loadOrFail()
            var fleet = files
            var checked = "workers/"
            var sourceCount = ""
            if let source = settings.fleetSource {
                let client = FleetSourceClient(settings: source)
                let (first, joined, problems) = await context.askFleetSource(client)
                fleet = joined ?? files
                await client.shutdown()
                if case .failed(let reason) = first.outcome {
                    for problem in problems { Terminal.printError(problem.description) }
                    if problems.isEmpty { Terminal.printError("\(source.displayURL): \(reason)") }
                    throw CLIFailure(
                        problems.isEmpty ? "the fleet source gave no usable fleet" : "the fleet is not valid with the fleet source's bots")
                }
                checked = "workers/ and fleet source"
                sourceCount = ", \(first.bots.count) from the source"
            }
            let enabled = fleet.enabledWorkers.count
            Terminal.write(
                "\(checked): \(fleet.workers.count) bot\(fleet.workers.count == 1 ? "" : "s") (\(enabled) enabled\(sourceCount)), no problems\n"
            )
        } catch {
            error.exit()
        }
    }
}
