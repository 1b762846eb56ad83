import ArgumentParser
import BotmasterSystem
import Glibc

/// `botmaster stop`: graceful shutdown of the master and its fleet.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the master (no id: drain every worker, then exit) or one bot (with its id).",
        discussion: """
            A bot stopped by id stays stopped, shown in status, until `botmaster start <id>`; the next             start of the master starts it again (to keep it off for good, `botmaster disable <id>`).
            """)

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot to stop; leave out to stop the master and the whole fleet.")
    var id: String?

    @Option(name: .long, help: "Seconds to wait for the master, or the bot, to stop (default: the longest stop timeout plus 15).")
    var wait: Int?

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            if let id {
                try context.request(.stopBot(id))
                _ = try BotWaiter(context: context, id: id, waitSeconds: wait).untilStopped()
                Terminal.write("stopped \(id)\n")
            } else {
                try MasterStopper(context: context, waitSeconds: wait).stop()
            }
        } catch {
            error.exit()
        }
    }
}

/// Sends SIGTERM to the home's master and waits until it has released the home's lock.
struct MasterStopper {
    let context: FleetContext
    let waitSeconds: Int?

    func stop() throws(CLIFailure) {
        if let denied = context.runDirectoryDenied { throw denied }
        guard let pid = context.runningMaster, pid > 0 else {
            throw CLIFailure("no master is running in \(context.layout.home)")
        }
        do {
            try Processes.send(SIGTERM, to: pid)
        } catch {
            throw CLIFailure("cannot signal the master (pid \(pid)): \(error)")
        }
        let longestStop = (try? context.load().get())?.1.enabledWorkers.map(\.limits.stopTimeout).max() ?? .seconds(90)
        let deadline = MonotonicTime.now() + (waitSeconds.map { .seconds($0) } ?? longestStop + .seconds(15))
        let interactive = Terminal.standardOutputIsTerminal
        if interactive { Terminal.write("stopping master (pid \(pid))…") }
        while InstanceLock.isHeld(path: context.layout.lockFile) {
            if MonotonicTime.now() >= deadline {
                if interactive { Terminal.write("\n") }
                throw CLIFailure("the master (pid \(pid)) did not stop in time; see `botmaster logs`")
            }
            usleep(50_000)
        }
        if interactive { Terminal.write("\n") }
        Terminal.write("master stopped (pid \(pid))\n")
    }
}
