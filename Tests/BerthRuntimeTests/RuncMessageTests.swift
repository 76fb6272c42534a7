import Testing

@testable import BerthRuntime

/// What a failed create says to the user: runc's error, not its warnings.
@Suite struct RuncMessageTests {
    @Test func keepsTheLastErrorLinesMessage() {
        let m = """
            time="2026-12-03T18:26:17Z" level=warning msg="unable to get oom kill count" error="no directory specified for memory.oom_control"
            time="2026-12-03T18:26:17Z" level=error msg="runc create failed: unable to start container process: exec: \\"ip\\": executable file not found in $PATH"
            """
        #expect(Conmon.cleanRuncMessage(m) == "runc create failed: unable to start container process: exec: \"ip\": executable file not found in $PATH")
    }

    @Test func aMessageWithoutLevelsIsKeptWhole() {
        #expect(Conmon.cleanRuncMessage("  plain words\n") == "plain words")
        #expect(Conmon.cleanRuncMessage("time=\"x\" level=warning msg=\"only a warning\"") == "only a warning")
    }
}
