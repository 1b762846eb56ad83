/// The master's file descriptors, shared between supervision and the HTTP ports.
///
/// Supervision must never run out: spawning a worker takes a socket pair and pipes, saving
/// state opens files. So the webhook port gets only what is left after a reserve for every
/// worker the fleet may grow to, the status port's cap and the master's own files.
public enum DescriptorBudget {
    /// Descriptors one worker costs the master (its socket, output pipes, log file and the two
    /// `/proc` files its memory samples read), with room for the ones a spawn holds briefly.
    public static let perWorker = 10
    /// The master's own files, the control socket's clients and the libraries' descriptors.
    public static let base = 256

    /// Descriptors supervision keeps for itself with up to `workers` workers.
    public static func reserve(workers: Int, statusConnections: Int) -> UInt64 {
        UInt64(base + statusConnections + perWorker * max(workers, 0))
    }

    /// The webhook port's connection cap: the configured one, lowered to what the open-file
    /// limit leaves after the reserve (at least 16, so a tight limit still serves a little).
    public static func webhookConnections(configured: Int, openFileLimit: UInt64, reserve: UInt64) -> Int {
        let available = openFileLimit > reserve ? openFileLimit - reserve : 0
        return max(16, min(configured, Int(clamping: available)))
    }
}
