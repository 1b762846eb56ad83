import CBotmasterShims
import Glibc

/// Signals, reaping and process-group control: the master's side of a child's life.
public enum Processes {
    /// Sends `signal` to one process. A process that is already gone is not an error.
    public static func send(_ signal: Int32, to pid: pid_t) throws(SystemError) {
        if kill(pid, signal) == -1 {
            let code = errno
            if code == ESRCH { return }
            throw SystemError(call: "kill", subject: "\(pid), \(Signal.name(of: signal))", code: code)
        }
    }

    /// Sends `signal` to every process in the group `groupID`, so that a worker's own children
    /// (a shell script's payload, a handler program) go with it. A group that is gone is not an error.
    public static func send(_ signal: Int32, toGroup groupID: pid_t) throws(SystemError) {
        if kill(-groupID, signal) == -1 {
            let code = errno
            if code == ESRCH { return }
            throw SystemError(call: "kill", subject: "group \(groupID), \(Signal.name(of: signal))", code: code)
        }
    }

    /// Reaps every child that has exited, without blocking. Call it on SIGCHLD; calling it when
    /// nothing exited costs one system call.
    public static func reapExitedChildren() -> [(pid: pid_t, status: ExitStatus)] {
        var reaped: [(pid: pid_t, status: ExitStatus)] = []
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 {
                reaped.append((pid, ExitStatus(rawWaitStatus: status)))
                continue
            }
            if pid == -1 && errno == EINTR { continue }
            return reaped  // 0: children left but none exited; -1/ECHILD: no children at all
        }
    }

    /// Asks the kernel to send `signal` to this process when its parent dies, then closes the
    /// race where the parent died before the request: if the parent is no longer
    /// `expectedParent`, the caller should exit at once.
    /// - Returns: `false` when the parent is already gone.
    public static func requestSignalOnParentDeath(_ signal: Int32, expectedParent: pid_t) -> Bool {
        _ = cbm_set_parent_death_signal(signal)
        return getppid() == expectedParent
    }

    /// This process's soft limit of open files.
    public static var openFileLimit: UInt64? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// Raises this process's soft open-file limit to its hard limit: a master of 1000 workers
    /// holds about four descriptors per worker.
    /// - Returns: the soft limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
            _ = getrlimit(RLIMIT_NOFILE_VALUE, &limit)
        }
        return UInt64(limit.rlim_cur)
    }

    /// This process's nice value, as its main thread has it (on Linux nice is per thread, and
    /// libdispatch gives its own threads values of their own, so read it through the pid).
    public static var niceValue: Int {
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        return errno == 0 ? Int(value) : 0
    }

    /// Sets the nice value of every thread of every process in group `group`: a worker and
    /// whatever it started. Threads and processes made afterwards inherit it from their parent.
    public static func setNice(_ value: Int, group: pid_t) throws(SystemError) {
        guard setpriority(__priority_which_t(PRIO_PGRP.rawValue), id_t(group), Int32(value)) == 0 else {
            throw SystemError(call: "setpriority", subject: "process group \(group)", code: errno)
        }
    }

    /// Ignores SIGPIPE, so that writing to a worker that just died is an `EPIPE` error rather than
    /// the death of the master. Children get the default disposition back at spawn.
    public static func ignoreBrokenPipeSignal() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// This process's pid.
    public static var currentID: pid_t { getpid() }
}

// `RLIMIT_NOFILE` is imported as an enum case on glibc; this keeps the call sites tidy.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
