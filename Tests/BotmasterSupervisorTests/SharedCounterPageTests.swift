import BotmasterSystem
import Glibc
import Testing

/// The heartbeat page: what one process writes, another reads without a system call, and what
/// a hostile writer can and cannot do to the reader.
@Suite struct SharedCounterPageTests {
    @Test func countersWrittenThroughOneMappingAreReadThroughTheOtherOnceEach() throws {
        let (reader, fd) = try SharedCounterPage.create(name: "test-page")
        defer { close(fd) }
        // The worker's side: its own mapping of the same file.
        let writer = try SharedCounterPage(mapping: fd)
        #expect(reader.read() == .unchanged, "a fresh page holds nothing")
        writer.write([1, 2, 3, 4])
        #expect(reader.read() == .counters([1, 2, 3, 4]))
        #expect(reader.read() == .unchanged, "the same write is read once")
        writer.write([5, 6, 7])
        #expect(reader.read() == .counters([5, 6, 7]))
        writer.write(Array(0..<100))
        #expect(reader.read() == .counters(Array(0..<UInt64(SharedCounterPage.capacity))), "clamped to the page's capacity")
    }

    @Test func aWriteUnderWayOrALyingCountIsNeverTakenForCounters() throws {
        let (reader, fd) = try SharedCounterPage.create(name: "test-page")
        defer { close(fd) }
        let raw = try #require(mmap(nil, SharedCounterPage.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
        defer { munmap(raw, SharedCounterPage.size) }
        let words = raw.bindMemory(to: UInt64.self, capacity: SharedCounterPage.size / 8)
        // An odd sequence: the writer is in the middle of a write (or stopped there).
        words[0] = 3
        words[1] = 3
        #expect(reader.read() == .inconsistent)
        // A count far past the page: the reader copies no more than the capacity.
        words[1] = UInt64.max
        words[0] = 4
        let reading = reader.read()
        guard case .counters(let counters) = reading else {
            Issue.record("expected counters, read \(reading)")
            return
        }
        #expect(counters.count == SharedCounterPage.capacity)
    }

    @Test func theWriterCannotShrinkOrGrowThePageUnderTheReader() throws {
        let (reader, fd) = try SharedCounterPage.create(name: "test-page")
        defer { close(fd) }
        // Shrunk, the reader's next load would die of SIGBUS: the seals forbid it.
        #expect(ftruncate(fd, 0) == -1 && errno == EPERM)
        #expect(ftruncate(fd, off_t(SharedCounterPage.size * 2)) == -1 && errno == EPERM)
        // Nor can seals be added (Swift's Glibc leaves out the GNU names: F_ADD_SEALS is 1033,
        // F_SEAL_WRITE 8).
        #expect(fcntl(fd, 1033, Int32(8)) == -1 && errno == EPERM, "F_SEAL_SEAL is set")
        let writer = try SharedCounterPage(mapping: fd)
        writer.write([9, 9, 9])
        #expect(reader.read() == .counters([9, 9, 9]))
    }

    @Test func aFileThatIsNoSealedPageIsRefused() throws {
        let path = "/tmp/botmaster-page-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        // A plain file, a page long: not the master's page, whatever its size.
        #expect(ftruncate(fd, off_t(SharedCounterPage.size)) == 0)
        #expect(throws: SystemError.self) { try SharedCounterPage(mapping: fd) }
    }
}
