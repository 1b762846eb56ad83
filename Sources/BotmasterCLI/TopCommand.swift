import ArgumentParser
import BotmasterSystem
import Glibc

/// `botmaster top`: a live view of the fleet, refreshed in place like `pm2 monit` or `top`,
/// busiest bots first. Without a terminal (a pipe, a file) it prints plain frames.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of the fleet: CPU, memory, message rate and state per bot, busiest first (q to quit).")

    @OptionGroup var homeOptions: HomeOptions

    @Option(name: [.short, .long], help: "Seconds between refreshes.")
    var interval: Double = 2

    @Option(name: [.customShort("n"), .long], help: "Stop after this many frames (default: until q or Ctrl-C).")
    var iterations: Int?

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be from 0.1 to 3600 seconds") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1") }
    }

    func run() throws {
        let context = FleetContext(options: homeOptions)
        let screen = FullScreenTerminal()
        defer { screen?.restore() }
        var top = TopScreen()
        var frames = 0
        do throws(CLIFailure) {
            while iterations.map({ frames < $0 }) ?? true {
                let status = try context.fetchStatus()
                let now = Double(MonotonicTime.now().nanoseconds) / 1e9
                frames += 1
                if let screen {
                    let size = screen.size
                    screen.draw(top.render(status, now: now, width: size.columns, height: size.rows, interval: interval))
                } else {
                    let lines = top.render(status, now: now, width: Int.max, height: Int.max, interval: interval)
                    Terminal.write((frames > 1 ? "\n" : "") + lines.joined(separator: "\n") + "\n")
                }
                if iterations.map({ frames >= $0 }) ?? false { break }
                if let screen {
                    if let key = screen.key(within: .milliseconds(Int64(interval * 1000))), Self.quitKeys.contains(key) { break }
                } else {
                    usleep(UInt32(interval * 1_000_000))
                }
            }
        } catch {
            screen?.restore()
            error.exit()
        }
    }

    /// q, Q, Esc and Ctrl-C (which arrives as a key: the terminal is in raw mode).
    static let quitKeys: Set<UInt8> = [UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x1B, 0x03]
}
