import CSystemd

/// Talks to systemd through libsystemd's `sd_notify`: readiness, status lines, reloads,
/// stopping and watchdog pings for a `Type=notify` unit. Outside systemd (no `NOTIFY_SOCKET`)
/// there is no notifier at all, so callers pay nothing.
public struct SystemdNotifier: Sendable {
    /// Half of `WatchdogSec=`: how often to send `WATCHDOG=1`, or `nil` when the unit has no
    /// watchdog.
    public let watchdogPingInterval: Duration?

    /// The notifier for this process, or `nil` when not started by systemd with notify access.
    public static func fromEnvironment(_ environment: [String: String]) -> SystemdNotifier? {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        var microseconds: UInt64 = 0
        let watchdog: Duration? =
            sd_watchdog_enabled(0, &microseconds) > 0 && microseconds > 0 ? .microseconds(Int64(microseconds / 2)) : nil
        return SystemdNotifier(watchdogPingInterval: watchdog)
    }

    /// Sends one notification: newline-separated `KEY=value` assignments such as `READY=1`.
    public func notify(_ assignments: String) {
        _ = sd_notify(0, assignments)
    }
}
