import ArgumentParser
import BotmasterControl

/// `botmaster reload`: re-read `workers/` and apply the difference without stopping the fleet.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read workers/*.toml and apply the changes (the same as SIGUSR2).",
        discussion: """
            New bots start, removed or disabled bots stop, a changed command, env or protocol restarts \
            only that bot, changed limits apply live; unchanged bots keep their process. If any file is \
            invalid, nothing changes and every problem is printed.
            """)

    @OptionGroup var homeOptions: HomeOptions

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let answer: ControlResponse
            do {
                answer = try context.client.send(.reload)
            } catch {
                throw context.unreachable(error)
            }
            guard answer.ok else { throw CLIFailure(answer.error ?? "the master refused the reload") }
            Terminal.write((answer.message ?? "reloaded") + "\n")
        } catch {
            error.exit()
        }
    }
}
