import Glibc

/// A failed system call: which call, on what, and the `errno` it left, captured right after the
/// call returned (anything in between, even ARC traffic, could overwrite `errno`).
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call that failed, such as `posix_spawn` or `open`.
    public var call: String
    /// What it was called on (a path, a pid), for the message.
    public var subject: String
    /// The `errno` value.
    public var code: Int32

    public init(call: String, subject: String = "", code: Int32) {
        self.call = call
        self.subject = subject
        self.code = code
    }

    public var description: String {
        let reason = String(cString: strerror(code))
        return subject.isEmpty ? "\(call): \(reason)" : "\(call)(\(subject)): \(reason)"
    }
}

/// Runs a call that returns -1 and sets `errno` on failure, retrying on `EINTR`.
@inline(__always)
func retryingOnInterrupt(
    _ call: String, _ subject: @autoclosure () -> String = "", _ body: () -> Int32
) throws(SystemError) -> Int32 {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call: call, subject: subject(), code: code)
    }
}

/// Runs a call that returns an error number directly (the `posix_spawn` family).
@inline(__always)
func checkingReturnedError(_ call: String, _ result: Int32, subject: @autoclosure () -> String = "") throws(SystemError) {
    if result != 0 { throw SystemError(call: call, subject: subject(), code: result) }
}
