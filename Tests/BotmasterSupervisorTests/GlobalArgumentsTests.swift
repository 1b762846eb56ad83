import Testing

@testable import BotmasterCLI

@Suite struct GlobalArgumentsTests {
    let commands = ["start", "status", "logs"]

    @Test func homeBeforeTheCommandMovesAfterIt() {
        #expect(
            GlobalArguments.normalize(["--home", "/srv/b", "status", "--json"], commands: commands)
                == .arguments(["status", "--home", "/srv/b", "--json"]))
        #expect(
            GlobalArguments.normalize(["--home=/srv/b", "logs", "x"], commands: commands) == .arguments(["logs", "--home=/srv/b", "x"]))
        #expect(GlobalArguments.normalize(["status", "--home", "/h"], commands: commands) == .arguments(["status", "--home", "/h"]))
        #expect(GlobalArguments.normalize(["--version"], commands: commands) == .arguments(["--version"]))
        #expect(GlobalArguments.normalize([], commands: commands) == .arguments([]))
        #expect(GlobalArguments.normalize(["help", "status"], commands: commands) == .arguments(["help", "status"]))
    }

    @Test func anUnknownCommandIsNamedEvenWithOptionsAfterIt() {
        #expect(GlobalArguments.normalize(["frob", "--home", "/h"], commands: commands) == .unknownCommand("frob"))
        #expect(GlobalArguments.normalize(["--home", "/h", "frob"], commands: commands) == .unknownCommand("frob"))
    }
}
