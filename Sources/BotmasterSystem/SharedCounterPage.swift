import CBotmasterShims
import Glibc

/// A page of `UInt64` counters in shared memory that one process writes and another reads
/// without a system call on either side: the master creates it, hands its descriptor to one
/// worker, and then reads what the worker writes there (its heartbeats) on its own clock.
///
/// Layout, in the host's byte order: word 0 a sequence number (odd while a write is under way;
/// every write advances it by two), word 1 the number of counters, then the counters, at most
/// ``capacity``. The file is sealed against shrinking and growing before the worker gets it, so
/// a worker cannot pull the page from under the master's mapping; whatever else it writes can
/// only garble its own counters, which the reader clamps and checks against the sequence.
///
/// Unchecked `Sendable`: the mapping's address never changes and every access to the shared
/// words goes through the C shims' atomics.
public final class SharedCounterPage: @unchecked Sendable {
    /// The file's size: one page.
    public static let size = 4096
    /// Most counters a page holds (the header is two words).
    public static let capacity = 64

    private let base: UnsafeMutableRawPointer
    /// The sequence of the last ``read()`` that found counters.
    private var lastSequence: UInt64 = 0

    private init(base: UnsafeMutableRawPointer) {
        self.base = base
    }

    deinit {
        munmap(base, Self.size)
    }

    /// A new sealed page, mapped here, and the descriptor to hand to its writer (close-on-exec;
    /// the caller closes it once the writer has it: the mapping outlives the descriptor).
    public static func create(name: String) throws(SystemError) -> (page: SharedCounterPage, descriptor: Int32) {
        let fd = cbm_sealed_memory_file(name, size)
        guard fd >= 0 else { throw SystemError(call: "memfd_create", subject: name, code: errno) }
        do {
            return (try SharedCounterPage(mapping: fd), fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Maps a page from a descriptor (the writer's side: the descriptor the master passed).
    /// Fails when the file is smaller than a page or not sealed against resizing: then the
    /// descriptor is not the master's page (a wrapper closed it and the number went to another
    /// file), and writing counters into it would damage that file.
    public convenience init(mapping fd: Int32) throws(SystemError) {
        guard cbm_is_sealed_against_resizing(fd) == 1 else { throw SystemError(call: "F_GET_SEALS", subject: "fd \(fd)", code: EINVAL) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SystemError(call: "fstat", subject: "fd \(fd)", code: errno) }
        guard status.st_size >= Self.size else { throw SystemError(call: "mmap", subject: "fd \(fd)", code: EINVAL) }
        let address = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw SystemError(call: "mmap", subject: "fd \(fd)", code: errno) }
        self.init(base: address)
    }

    /// Writes the counters (the first ``capacity`` of them). One writer at a time.
    public func write(_ counters: [UInt64]) {
        counters.withUnsafeBufferPointer { values in
            cbm_counter_page_store(base, values.baseAddress, UInt64(values.count), UInt64(Self.capacity))
        }
    }

    /// What a read found.
    public enum ReadResult: Equatable {
        /// Counters written since the last read that found any.
        case counters([UInt64])
        /// Nothing written since then.
        case unchanged
        /// A write was under way (or the writer broke the sequence): read again later.
        case inconsistent
    }

    /// The counters, when they changed since the last read that found any. One reader at a
    /// time (in the master, the supervisor's actor).
    public func read() -> ReadResult {
        var sequence: UInt64 = 0
        var count: UInt64 = 0
        // Many reads find nothing new (status looks whenever it is asked): no array until
        // there is something to put in it.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.capacity) { buffer in
            switch cbm_counter_page_load(base, lastSequence, &sequence, buffer.baseAddress, UInt64(Self.capacity), &count) {
            case 1:
                lastSequence = sequence
                return .counters(Array(buffer[0..<Int(count)]))
            case 0:
                return .unchanged
            default:
                return .inconsistent
            }
        }
    }
}
