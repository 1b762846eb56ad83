import BotmasterConfig
import BotmasterIPC

/// What the supervisor needs to run a fleet.
public struct SupervisorConfiguration: Sendable {
    /// Where the fleet's files live.
    public var layout: HomeLayout
    /// Master-wide settings.
    public var settings: MasterSettings
    /// The bots, including disabled ones (and those of ``sourcedBots``).
    public var fleet: [WorkerDefinition]
    /// The bots the HTTP fleet source gave at start-up, if it answered.
    public var sourcedBots: [SourcedBot] = []
    /// The program run for bots without a `command`.
    public var defaultWorkerCommand: [String]
    /// The master's environment, which workers inherit (plus their own `env`).
    public var environment: [String: String]
    /// Largest frame accepted from a worker.
    public var maximumFrameLength: Int = Frame.defaultMaximumLength
    /// The master's nice value when it started: workers without a `nice` of their own get it
    /// (a worker spawned from a libdispatch thread would otherwise get that thread's).
    public var masterNice = 0
    /// How often deadlines are checked. 250 ms: a hung or crashed worker is noticed within a
    /// quarter second of its deadline, at a cost of four scans a second.
    public var tickInterval: Duration = .milliseconds(250)

    /// Sends a notification to the service manager (systemd's `sd_notify`), or `nil` outside
    /// systemd.
    public var notify: (@Sendable (String) -> Void)?
    /// How often to send `WATCHDOG=1` (half of `WatchdogSec=`), or `nil` for no watchdog.
    public var watchdogPingInterval: Duration?

    public init(
        layout: HomeLayout, settings: MasterSettings, fleet: [WorkerDefinition], defaultWorkerCommand: [String],
        environment: [String: String]
    ) {
        self.layout = layout
        self.settings = settings
        self.fleet = fleet
        self.defaultWorkerCommand = defaultWorkerCommand
        self.environment = environment
    }
}
