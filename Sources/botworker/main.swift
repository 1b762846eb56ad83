import BotmasterSystem
import BotworkerKit
import Glibc
import Logging

// botworker: the reference worker. Started by botmaster with its channel on fd 3; see
// docs/worker-protocol.md for the protocol it speaks.

guard let identity = WorkerRuntime.Identity.fromProcessEnvironment() else {
    let message = "botworker: BOTMASTER_BOT_ID and BOTMASTER_IPC_FD are not set; botworker runs under botmaster (botmaster start)\n"
    try? FileSystem.writeAll(STDERR_FILENO, Array(message.utf8))
    exit(2)
}

// The bot runtime starts when the master's welcome carries the bot's settings; a worker
// without them only keeps the protocol.
WorkerLog.bootstrap(botID: identity.botID)
let bot = BotWorker(botID: identity.botID, logger: Logger(label: "botworker"))
var runtime = WorkerRuntime(identity: identity, payload: bot)
let outcome = runtime.run()
switch outcome {
case .drained:
    WorkerRuntime.say("botworker \(identity.botID): drained, exiting")
    exit(0)
case .masterGone:
    WorkerRuntime.say("botworker \(identity.botID): master went away, exiting")
    exit(0)
case .failed(let reason):
    WorkerRuntime.say("botworker \(identity.botID): \(reason)")
    exit(1)
}
