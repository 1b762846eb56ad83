import CBotmasterShims
import Glibc

/// What to start and how to wire it.
public struct SpawnRequest: Sendable {
    /// The program's argv; `arguments[0]` is looked up in `PATH` when it has no `/`.
    public var arguments: [String]
    /// The complete environment of the child.
    public var environment: [String: String]
    /// Directory the child starts in, or `nil` for the parent's.
    public var workingDirectory: String?
    /// Descriptors the child gets: child fd → parent fd. Every other descriptor is closed in the
    /// child, whatever its close-on-exec flag says.
    public var descriptors: [Int32: Int32]
    /// Put the child in a process group of its own (its pgid is its pid), so that signalling the
    /// group reaches everything it started and nothing of the master's.
    public var newProcessGroup: Bool
    /// Start a new session (implies a new group): detaches from the terminal, for daemonizing.
    public var newSession: Bool

    public init(
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        descriptors: [Int32: Int32],
        newProcessGroup: Bool = true,
        newSession: Bool = false
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.descriptors = descriptors
        self.newProcessGroup = newProcessGroup
        self.newSession = newSession
    }
}

/// Starts processes with `posix_spawn`: no `fork` of the (large, multi-threaded) master, and the
/// child's descriptors, signal mask and signal dispositions are set before the program runs.
public enum ProcessSpawner {
    /// Starts the process and returns its pid.
    public static func spawn(_ request: SpawnRequest) throws(SystemError) -> pid_t {
        guard let program = request.arguments.first, !program.isEmpty else {
            throw SystemError(call: "posix_spawn", subject: "empty argv", code: EINVAL)
        }
        let highestTarget = request.descriptors.keys.max() ?? 2

        // A source descriptor whose number is also a target could be overwritten by an earlier
        // dup2 in the child. Moving every source above the targets first rules that out.
        var moved: [Int32] = []
        defer { for fd in moved { close(fd) } }
        var mapping: [(target: Int32, source: Int32)] = []
        for (target, source) in request.descriptors.sorted(by: { $0.key < $1.key }) {
            if source <= highestTarget {
                let copy = fcntl(source, F_DUPFD_CLOEXEC, highestTarget + 1)
                if copy == -1 { throw SystemError(call: "fcntl(F_DUPFD_CLOEXEC)", subject: "\(source)", code: errno) }
                moved.append(copy)
                mapping.append((target, copy))
            } else {
                mapping.append((target, source))
            }
        }

        var actions = posix_spawn_file_actions_t()
        try checkingReturnedError("posix_spawn_file_actions_init", posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in mapping {
            try checkingReturnedError("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, source, target))
        }
        try checkingReturnedError(
            "posix_spawn_file_actions_addclosefrom",
            cbm_spawn_file_actions_addclosefrom(&actions, highestTarget + 1)
        )
        if let directory = request.workingDirectory {
            try checkingReturnedError(
                "posix_spawn_file_actions_addchdir", cbm_spawn_file_actions_addchdir(&actions, directory), subject: directory)
        }

        var attributes = posix_spawnattr_t()
        try checkingReturnedError("posix_spawnattr_init", posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if request.newSession {
            flags |= cbm_spawn_flag_setsid()
        } else if request.newProcessGroup {
            flags |= Int16(POSIX_SPAWN_SETPGROUP)
            try checkingReturnedError("posix_spawnattr_setpgroup", posix_spawnattr_setpgroup(&attributes, 0))
        }
        // The master ignores SIGPIPE and may block signals; a child starts with neither.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try checkingReturnedError("posix_spawnattr_setsigmask", posix_spawnattr_setsigmask(&attributes, &emptyMask))
        try checkingReturnedError("posix_spawnattr_setsigdefault", posix_spawnattr_setsigdefault(&attributes, &allSignals))
        try checkingReturnedError("posix_spawnattr_setflags", posix_spawnattr_setflags(&attributes, flags))

        let argv = CStringArray(request.arguments)
        let envp = CStringArray(request.environment.map { "\($0.key)=\($0.value)" })
        defer {
            argv.deallocate()
            envp.deallocate()
        }
        var pid: pid_t = 0
        let result: Int32 =
            program.contains("/")
            ? posix_spawn(&pid, program, &actions, &attributes, argv.pointers, envp.pointers)
            : posix_spawnp(&pid, program, &actions, &attributes, argv.pointers, envp.pointers)
        try checkingReturnedError("posix_spawn", result, subject: program)
        return pid
    }
}

/// A NULL-terminated array of C strings that outlives the call it is passed to.
private struct CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func deallocate() {
        for pointer in pointers { free(pointer) }
    }
}
