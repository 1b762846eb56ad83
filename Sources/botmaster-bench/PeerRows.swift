/// The peer comparison's table: one bot, then a fleet of bots; every system in every round, the
/// order rotated each round so that none always runs first (or last) on a machine whose load
/// drifts.
extension FleetBenchmark {
    func peerRows() async throws -> [ResultRow] {
        var rows: [ResultRow] = []
        if peerMessages > 0 {
            let one = PeerEchoBenchmark(python: peersPython, scripts: peersScripts, bots: 1, messages: peerMessages, chats: peerChats)
            rows += try await peerRows(one, load: "\(peerMessages) messages over \(peerChats) chats, polling, one bot")
        }
        if peerFleetBots > 0 {
            let fleet = PeerEchoBenchmark(
                python: peersPython, scripts: peersScripts, bots: peerFleetBots, messages: peerFleetMessages, chats: peerFleetChats)
            rows += try await peerRows(
                fleet, load: "\(peerFleetBots) bots × \(peerFleetMessages) messages over \(peerFleetChats) chats each, polling")
        }
        return rows
    }

    private func peerRows(_ benchmark: PeerEchoBenchmark, load: String) async throws -> [ResultRow] {
        let several = benchmark.bots > 1
        let processes = several ? "every process (botmaster: master and workers)" : "the bot's process"
        let memory = several ? "PSS of every process summed" : "private (USS) of the bot's process"
        let bots = several ? "\(benchmark.bots) bots" : "one bot"
        let systems = PeerEchoBenchmark.System.allCases
        var runs: [PeerEchoBenchmark.System: [PeerEchoBenchmark.Run]] = [:]
        var throughputRatios: [PeerEchoBenchmark.System: [Double]] = [:]
        var cpuRatios: [PeerEchoBenchmark.System: [Double]] = [:]
        for round in 0..<max(peerRounds, 1) {
            var thisRound: [PeerEchoBenchmark.System: PeerEchoBenchmark.Run] = [:]
            for index in systems.indices {
                let system = systems[(index + round) % systems.count]
                let run = try await benchmark.run(system)
                BenchmarkProgress.say(
                    "peers, \(benchmark.bots) bot\(benchmark.bots == 1 ? "" : "s"), round \(round + 1), \(system.rawValue): "
                        + "\(format(run.repliesPerSecond, decimals: 0)) replies/s, "
                        + "\(format(run.cpuMillisecondsPerReply, decimals: 3)) ms CPU per reply, \(run.answeredOnce) answered once"
                )
                thisRound[system] = run
                runs[system, default: []].append(run)
            }
            guard let ours = thisRound[.botworker] else { continue }
            for peer in systems where peer != .botworker {
                guard let theirs = thisRound[peer] else { continue }
                throughputRatios[peer, default: []].append(ours.repliesPerSecond / max(theirs.repliesPerSecond, 0.001))
                cpuRatios[peer, default: []].append(ours.cpuMillisecondsPerReply / max(theirs.cpuMillisecondsPerReply, 0.000_001))
            }
        }
        var rows: [ResultRow] = []
        for system in systems {
            let measured = runs[system] ?? []
            let valid = measured.filter { $0.answeredOnce == benchmark.totalMessages && $0.replies == benchmark.totalMessages }.count
            rows.append(
                ResultRow(
                    metric: "\(system.rawValue): replies/s, \(load) (median (min–max) of \(measured.count))",
                    target: system == .botworker ? "≥ 3× each peer" : "–",
                    value: spread(measured.map(\.repliesPerSecond), decimals: 0)))
            rows.append(
                ResultRow(
                    metric: "\(system.rawValue): CPU ms per reply, \(processes)",
                    target: system == .botworker ? (several ? "≤ ⅕ of each peer's" : "≤ 0.1 ms, ≤ ⅕ of each peer's") : "–",
                    value: spread(measured.map(\.cpuMillisecondsPerReply), decimals: 3)))
            rows.append(
                ResultRow(
                    metric: "\(system.rawValue): idle memory, \(memory)",
                    target: "–",
                    value: spread(measured.map { Double($0.idleMemory) / 1_048_576 }, decimals: 1) + " MB"))
            rows.append(
                ResultRow(
                    metric: "\(system.rawValue): runs with every message answered exactly once", target: "all",
                    value: "\(valid) of \(measured.count)"))
        }
        for peer in systems where peer != .botworker {
            rows.append(
                ResultRow(
                    metric: "botworker ÷ \(peer.rawValue), same round, \(bots): replies/s; CPU per reply",
                    target: "≥ 3; ≤ 0.2",
                    value: "\(spread(throughputRatios[peer] ?? [], decimals: 2)); \(spread(cpuRatios[peer] ?? [], decimals: 3))"))
        }
        return rows
    }
}
