/// Exit codes with a meaning the master acts on.
public enum WorkerExitCode {
    /// Cluster mode: the worker's store refused a step because another master owns the bot now
    /// (a newer fencing epoch). The master does not restart it: the bot is not its any more.
    public static let fenced: Int32 = 4

    /// The environment variable that carries the bot's fencing epoch to its worker (cluster
    /// mode only).
    public static let epochVariable = "BOTMASTER_FENCE_EPOCH"
}
