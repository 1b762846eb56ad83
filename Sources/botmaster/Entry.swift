import BotmasterCLI

// botmaster: the fleet supervisor. Everything lives in BotmasterCLI; this file only runs it.
@main
extension Botmaster {}
