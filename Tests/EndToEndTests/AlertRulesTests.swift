import Testing

/// The shipped Prometheus alert rules are valid and behave: `promtool test rules` runs their unit
/// tests (ops/prometheus/botmaster-alerts.test.yml): a crash loop fires the restart storm,
/// operator restarts and reloads do not, and an errored bot is named.
@Suite struct AlertRulesTests {
    @Test func theAlertRulesAreValid() throws {
        let checked = try promtool(["check", "rules", "\(opsDirectory)/prometheus/botmaster-alerts.yml"])
        #expect(checked.code == 0, "\(checked.output)")
    }

    @Test func theAlertRulesPassTheirUnitTests() throws {
        let tested = try promtool(["test", "rules", "\(opsDirectory)/prometheus/botmaster-alerts.test.yml"])
        #expect(tested.code == 0, "\(tested.output)")
        #expect(tested.output.contains("SUCCESS"), "\(tested.output)")
    }
}
