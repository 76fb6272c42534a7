import Testing

@testable import BerthRuntime

/// What a failed create says (runc's error, not its warnings), and a rootless spec's binds.
@Suite struct RootlessRuntimeTests {
    @Test func keepsTheLastErrorLinesMessage() {
        let m = """
            time="2026-12-03T18:26:17Z" level=warning msg="unable to get oom kill count" error="no directory specified for memory.oom_control"
            time="2026-12-03T18:26:17Z" level=error msg="runc create failed: unable to start container process: exec: \\"ip\\": executable file not found in $PATH"
            """
        #expect(Conmon.cleanRuncMessage(m) == "runc create failed: unable to start container process: exec: \"ip\": executable file not found in $PATH")
    }

    @Test func rootlessSharesOfHostNamespacesBindTheHostsFilesystems() {
        let base: [RuntimeSpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: []),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["ro"]),
        ]
        #expect(SpecBuilder.rootlessBinds(base, hostNetwork: false, hostPID: false).map(\.type) == ["proc", "sysfs"])
        let both = SpecBuilder.rootlessBinds(base, hostNetwork: true, hostPID: true)
        #expect(both.map(\.type) == ["bind", "bind"] && both.map(\.source) == ["/proc", "/sys"])
        #expect(both[1].options?.contains("ro") == true && both[0].options?.contains("rbind") == true)
    }

    @Test func aMessageWithoutLevelsIsKeptWhole() {
        #expect(Conmon.cleanRuncMessage("  plain words\n") == "plain words")
        #expect(Conmon.cleanRuncMessage("time=\"x\" level=warning msg=\"only a warning\"") == "only a warning")
    }
}
