import BotmasterSystem

/// Stops calling a failing backend for a while: `closed` (calls pass) → after
/// `failureThreshold` consecutive failures `open` (calls fail fast) → after `openDuration`
/// `halfOpen` (one probe passes) → a successful probe closes it, a failed one opens it again.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    public var failureThreshold: Int
    public var openDuration: Duration
    public private(set) var state: State = .closed
    private var consecutiveFailures = 0
    private var openedAt: MonotonicTime?
    private var probeInFlight = false

    public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(30)) {
        self.failureThreshold = max(failureThreshold, 1)
        self.openDuration = openDuration
    }

    /// Whether a call may go out now. In `halfOpen` exactly one probe is allowed.
    public mutating func allowsCall(now: MonotonicTime) -> Bool {
        switch state {
        case .closed:
            return true
        case .open:
            guard let openedAt, now - openedAt >= openDuration else { return false }
            state = .halfOpen
            probeInFlight = true
            return true
        case .halfOpen:
            guard !probeInFlight else { return false }
            probeInFlight = true
            return true
        }
    }

    /// How long calls are still refused: the rest of the open period, or `nil` when closed. In
    /// `halfOpen` (a probe is out) it is zero: the probe's outcome decides.
    public func refusalRemaining(now: MonotonicTime) -> Duration? {
        switch state {
        case .closed: return nil
        case .halfOpen: return .zero
        case .open: return openedAt.map { max(openDuration - (now - $0), .zero) } ?? .zero
        }
    }

    public mutating func recordSuccess() {
        state = .closed
        consecutiveFailures = 0
        probeInFlight = false
        openedAt = nil
    }

    public mutating func recordFailure(now: MonotonicTime) {
        consecutiveFailures += 1
        probeInFlight = false
        if state == .halfOpen || consecutiveFailures >= failureThreshold {
            state = .open
            openedAt = now
        }
    }
}
