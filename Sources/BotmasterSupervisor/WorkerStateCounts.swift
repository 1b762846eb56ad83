/// How many workers are in each state: counted by the tick's pass over the fleet, which looks
/// at every worker anyway, so the status line for systemd needs no pass (and no hashing) of its
/// own four times a second, and is rebuilt only when a count changed.
struct WorkerStateCounts: Equatable, Sendable {
    private var counts = [Int](repeating: 0, count: WorkerState.allCases.count)

    init() {}

    /// The counts of `states`.
    init(_ states: some Sequence<WorkerState>) {
        for state in states { add(state) }
    }

    mutating func add(_ state: WorkerState) {
        counts[Self.slot(of: state)] += 1
    }

    /// How many are in `state`.
    subscript(state: WorkerState) -> Int { counts[Self.slot(of: state)] }

    private static func slot(of state: WorkerState) -> Int {
        switch state {
        case .starting: 0
        case .running: 1
        case .stopping: 2
        case .stopped: 3
        case .backoff: 4
        case .errored: 5
        }
    }
}
