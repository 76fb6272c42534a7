import ArgumentParser
import BerthCore
import Foundation

/// `berth container …`.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [
            ContainerLs.self, ContainerPrune.self, ContainerHistory.self, Rm.self, Start.self, Stop.self,
            Restart.self, Kill.self, Exec.self, Attach.self, Logs.self, Top.self, Stats.self, Port.self, Cp.self, Wait.self,
            Create.self, Run.self, Rename.self, Pause.self, Unpause.self, Commit.self, Diff.self, Export.self,
        ])
}

/// `berth container ls`.
struct ContainerLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers.", aliases: ["ps", "list"])
    @OptionGroup var ps: Ps
    func run() throws { try ps.run() }
}
