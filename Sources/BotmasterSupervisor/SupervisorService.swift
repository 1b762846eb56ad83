import ServiceLifecycle

/// The supervisor as a swift-service-lifecycle `Service`: graceful shutdown of the group
/// (SIGTERM, SIGINT) or its cancellation (another service failed) drains the fleet, and the
/// service returns once every worker is gone.
public struct SupervisorService: Service {
    public let supervisor: Supervisor

    public init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    public func run() async throws {
        let supervisor = self.supervisor
        await withTaskCancellationOrGracefulShutdownHandler {
            await supervisor.run()
        } onCancelOrGracefulShutdown: {
            supervisor.shutdown()
        }
    }
}
