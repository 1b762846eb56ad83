import ServiceLifecycle

/// Once a minute, writes how many repeated warnings and errors the throttle suppressed.
public struct LogSummaryService: Service {
    private let sink: MasterLogSink
    private let interval: Duration

    public init(sink: MasterLogSink, interval: Duration = .seconds(60)) {
        self.sink = sink
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            sink.writeThrottleSummaries()
        }
        sink.writeThrottleSummaries()  // what was suppressed in the last minute, before the exit
    }
}
