/// Exit codes for a process that could not start, as Docker reports them.
public enum StartFailure {
    /// 127 not found, 126 not executable, 128 otherwise (the CLI then says 125: berth's own failure).
    public static func exitCode(_ message: String) -> Int32 {
        if message.contains("executable file not found") || message.contains("no such file or directory") { return 127 }
        if message.contains("permission denied") { return 126 }
        return 128
    }
}
