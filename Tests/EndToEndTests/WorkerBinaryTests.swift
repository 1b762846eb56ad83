import Testing

/// How botworker is linked, a thousand of them starting at once (see its target in
/// Package.swift): the loader's work at each start is part of the fleet's start time.
@Suite struct WorkerBinaryTests {
    private static let worker = "\(TestFleet.binaries)/botworker"

    @Test func cxxStandardLibraryIsLinkedInNotLoadedAtEachStart() throws {
        let dynamic = try runProgram(["readelf", "--dynamic", Self.worker])
        #expect(dynamic.code == 0, "readelf: \(dynamic.output)")
        let needed = dynamic.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.contains { $0.contains("[libc.so.6]") }, "the shared libraries read: \(needed)")
        #expect(!needed.contains { $0.contains("libstdc++") }, "botworker needs \(needed)")
    }

    @Test func itIsAFixedAddressExecutable() throws {
        let header = try runProgram(["readelf", "--file-header", Self.worker])
        #expect(header.code == 0, "readelf: \(header.output)")
        #expect(header.output.contains("EXEC (Executable file)"), "\(header.output)")
    }
}
