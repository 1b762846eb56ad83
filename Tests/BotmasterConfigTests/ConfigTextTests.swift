import Testing

@testable import BotmasterConfig

@Suite struct ConfigTextTests {
    @Test(arguments: [
        ("200ms", Duration.milliseconds(200)), ("45s", .seconds(45)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)), (" 10s ", .seconds(10)), ("0s", .zero),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "45", "s", "5x", "-5s", "5 s", "1e9h", "ms5"])
    func rejectsNonDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsDurationsCompactly() {
        #expect(DurationText.format(.seconds(45)) == "45s")
        #expect(DurationText.format(.seconds(90)) == "1m30s")
        #expect(DurationText.format(.milliseconds(200)) == "200ms")
        #expect(DurationText.format(.seconds(3600)) == "1h")
    }

    @Test(arguments: [
        ("150MB", UInt64(150 * 1024 * 1024)), ("150MiB", UInt64(150 * 1024 * 1024)), ("512KB", UInt64(512 * 1024)),
        ("1GB", UInt64(1 << 30)), ("1048576", UInt64(1 << 20)), ("2m", UInt64(2 << 20)),
    ])
    func parsesSizes(text: String, expected: UInt64) {
        #expect(ByteSizeText.parse(text) == expected)
    }

    @Test(arguments: ["", "MB", "150XB", "-1MB", "1TB"])
    func rejectsNonSizes(text: String) {
        #expect(ByteSizeText.parse(text) == nil)
    }
}
