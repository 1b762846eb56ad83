import Testing

/// How botworker is linked, a thousand of them starting at once (see its target in
/// Package.swift): the loader's work at each start is part of the fleet's start time.
@Suite struct WorkerBinaryTests {
    private static let worker = "\(TestFleet.binaries)/botworker"

    /// Sources/botworker/Linking: C++'s library, SQLite, hiredis and zlib come from their
    /// archives; only glibc and libgcc_s (and, in a debug build, the Swift runtime's shared
    /// libraries) are loaded.
    @Test func itsCLibrariesAreLinkedInNotLoadedAtEachStart() throws {
        let dynamic = try runProgram(["readelf", "--dynamic", Self.worker])
        #expect(dynamic.code == 0, "readelf: \(dynamic.output)")
        let needed = dynamic.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.contains { $0.contains("[libc.so.6]") }, "the shared libraries read: \(needed)")
        for archived in ["libstdc++", "libsqlite3", "libhiredis", "libz."] {
            #expect(!needed.contains { $0.contains("[\(archived)") }, "botworker loads \(archived): \(needed)")
        }
    }

    @Test func itIsAFixedAddressExecutable() throws {
        let header = try runProgram(["readelf", "--file-header", Self.worker])
        #expect(header.code == 0, "readelf: \(header.output)")
        #expect(header.output.contains("EXEC (Executable file)"), "\(header.output)")
    }
}
