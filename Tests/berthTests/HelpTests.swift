import Testing

@testable import berth

/// `berth COMMAND --help` in the docker CLI's shape, from the parser's own command tree.
@Suite struct HelpTests {
    let tree = DockerHelp.tree()

    @Test func helpRequestsNameTheirCommand() throws {
        let root = try #require(tree)
        #expect(DockerHelp.requestedPath(["help", "network", "ls"], root: root) == ["network", "ls"])
        #expect(DockerHelp.requestedPath(["image", "remove", "-h"], root: root) == ["image", "rm"])
        #expect(DockerHelp.requestedPath(["ps", "-a", "--help"], root: root) == ["ps"])
        #expect(DockerHelp.requestedPath(["ps", "-a"], root: root) == nil)
        #expect(DockerHelp.requestedPath(["--help"], root: root) == [])
    }

    @Test func commandHelpHasDockersSections() throws {
        let root = try #require(tree)
        let ps = try #require(DockerHelp.render(path: ["ps"], root: root))
        #expect(ps.hasPrefix("Usage:  berth ps [OPTIONS]\n\nList containers\n\nOptions:\n"))
        #expect(ps.contains("\n  -a, --all             Show all containers (default shows just running)\n"))
        #expect(ps.contains("\n      --format string   "))
        #expect(ps.contains("\n  -f, --filter list     "))
        // global options are the root's, not every command's
        #expect(!ps.contains("--root") && !ps.contains("--help"))
        let run = try #require(DockerHelp.render(path: ["run"], root: root))
        #expect(run.hasPrefix("Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"))
        let rm = try #require(DockerHelp.render(path: ["rm"], root: root))
        #expect(rm.hasPrefix("Usage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n"))
        let ls = try #require(DockerHelp.render(path: ["network", "ls"], root: root))
        #expect(ls.contains("\nAliases:\n  berth network ls, berth network list\n"))
    }

    @Test func groupAndRootHelpListCommands() throws {
        let root = try #require(tree)
        let net = try #require(DockerHelp.render(path: ["network"], root: root))
        #expect(net.hasPrefix("Usage:  berth network COMMAND\n\nManage networks\n\nCommands:\n"))
        #expect(net.contains("\n  connect      Connect a container to a network\n"))
        #expect(net.hasSuffix("Run 'berth network COMMAND --help' for more information on a command.\n"))
        let top = try #require(DockerHelp.render(path: [], root: root))
        #expect(top.hasPrefix("Usage:  berth [OPTIONS] COMMAND\n"))
        #expect(top.contains("\nManagement Commands:\n  container   Manage containers\n"))
        #expect(top.contains("\nGlobal Options:\n") && top.contains("  -H, --host string"))
        #expect(DockerHelp.render(path: ["nosuch"], root: root) == nil)
    }
}
