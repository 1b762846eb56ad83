import BotmasterSupervisor
import Testing

@testable import BotmasterHTTP

@Suite struct WebhookConnectionsTests {
    @Test func eachAddressGetsItsShareAndGetsItBackOnClose() {
        let connections = WebhookConnections(allowedNetworks: [], maximumPerAddress: 2)
        #expect(connections.admit("10.0.0.1") == .admitted("10.0.0.1"))
        #expect(connections.admit("10.0.0.1") == .admitted("10.0.0.1"))
        #expect(connections.admit("10.0.0.1") == .refused)
        #expect(connections.admit("10.0.0.2") == .admitted("10.0.0.2"), "another address has its own share")
        connections.release("10.0.0.1")
        #expect(connections.admit("10.0.0.1") == .admitted("10.0.0.1"))
        #expect(connections.snapshot == .init(open: 3, refusedByAllowlist: 0, refusedPerAddress: 1, readTimeouts: 0))
    }

    @Test func theAllowlistRefusesOtherSourcesAndUnknownOnes() {
        let connections = WebhookConnections(allowedNetworks: ["149.154.160.0/20"], maximumPerAddress: 10)
        #expect(connections.admit("149.154.167.99") == .admitted("149.154.167.99"))
        #expect(connections.admit("8.8.8.8") == .refused)
        #expect(connections.admit(nil) == .refused, "a connection without an IP address cannot be checked")
        #expect(connections.snapshot.refusedByAllowlist == 2)
    }

    @Test func theWebhookPortGetsWhatSupervisionLeaves() {
        let reserve = DescriptorBudget.reserve(workers: 1000, statusConnections: 128)
        #expect(reserve == 256 + 128 + 10_000)
        #expect(DescriptorBudget.webhookConnections(configured: 1024, openFileLimit: 524_288, reserve: reserve) == 1024)
        #expect(DescriptorBudget.webhookConnections(configured: 1024, openFileLimit: 10_884, reserve: reserve) == 500)
        #expect(DescriptorBudget.webhookConnections(configured: 1024, openFileLimit: 1_024, reserve: reserve) == 16)
    }
}
