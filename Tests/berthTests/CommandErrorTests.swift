import BerthAPI
import BerthCore
import Testing

@testable import berth

/// How the CLI words a mistyped command or flag (Docker's words, exit codes in the caller).
@Suite struct CommandErrorTests {
    @Test func nearestCommands() {
        let names: Set<String> = ["pull", "push", "ps", "images", "build", "run", "rm", "rmi"]
        #expect(CommandSuggestions.nearest("pul", among: names) == ["pull"])
        #expect(CommandSuggestions.nearest("imgaes", among: names) == ["images"])
        #expect(CommandSuggestions.nearest("xyzzy", among: names) == [])
        #expect(CommandSuggestions.distance("ab", "ba") == 1)
        #expect(CommandSuggestions.distance("", "abc") == 3)
    }

    @Test func unknownCommandMessage() {
        let m = Berth.unknownCommand("biuld")
        #expect(m.hasPrefix("berth: 'biuld' is not a berth command."))
        #expect(m.contains("\tbuild"))
        #expect(Berth.commandNames.contains("stats") && Berth.commandNames.contains("commit"))
    }

    @Test func unknownFlagWording() {
        let parser = "Error: Unknown option '--foo'. Did you mean '--root'?\nUsage: berth ps [--root <root>]\n  See 'berth ps --help' for more information."
        #expect(Berth.dockerWording(parser) == "unknown flag: --foo (Did you mean '--root'?)\nSee 'berth ps --help'.")
        #expect(Berth.dockerWording("Error: Missing expected argument") == "Error: Missing expected argument")
    }

    @Test func statsRow() {
        var s = ContainerStats()
        s.id = String(repeating: "a", count: 64)
        s.name = "/web"
        s.cpu_stats.cpu_usage.total_usage = 2_000_000
        s.precpu_stats.cpu_usage.total_usage = 1_000_000
        s.cpu_stats.system_cpu_usage = 20_000_000
        s.precpu_stats.system_cpu_usage = 10_000_000
        s.cpu_stats.online_cpus = 2
        s.memory_stats.usage = 3 * 1024 * 1024
        s.memory_stats.stats = ["total_inactive_file": 1024 * 1024]
        s.memory_stats.limit = 64 * 1024 * 1024
        s.pids_stats.current = 3
        let f = Stats.row(s, noTrunc: false).fields
        #expect(f["ID"] == "aaaaaaaaaaaa" && f["Name"] == "web")
        #expect(f["CPUPerc"] == "20.00%")
        #expect(f["MemUsage"] == "2MiB / 64MiB" && f["MemPerc"] == "3.12%" && f["PIDs"] == "3")
        var stopped = ContainerStats()
        stopped.name = "/x"
        #expect(Stats.row(stopped, noTrunc: false).fields["CPUPerc"] == "--")
    }
}
