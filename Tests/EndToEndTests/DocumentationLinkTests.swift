import Testing

/// The README and docs/ link to each other and into the source tree; a moved file or a
/// renamed heading must not leave a dead link (ops/check-doc-links.py checks each one).
@Suite struct DocumentationLinkTests {
    @Test func everyRelativeLinkOfTheDocsResolves() throws {
        let repository = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        let (code, output) = try runProgram(["python3", repository + "/ops/check-doc-links.py"])
        #expect(code == 0, "broken links:\n\(output)")
    }
}
