import BerthAPI
import BerthCore

/// How big a container's log may grow: Docker's `--log-opt max-size` (berthd's
/// `--log-max-size` by default) and `max-file`. With one file conmon enforces the size (at the
/// limit it starts the file afresh); with more `LogRotator` does, and keeps the older files.
public struct LogOptions: Sendable, Equatable {
    /// Bytes, or nil for no cap.
    public var maxSize: Int64?
    /// Files kept: the live one and `maxFiles - 1` rotated ones (with a max-size only).
    public var maxFiles = 1
    /// false for `--log-driver none`: nothing is written, `logs` has nothing to read.
    public var logging = true
    /// What the client should be told about options berth takes but applies differently.
    public var warnings: [String] = []

    public init(maxSize: Int64? = nil) { self.maxSize = maxSize }

    /// conmon's own cap (`--log-size-max`): with one file. With rotated files berthd starts
    /// each file at `maxSize` (`LogRotator`) and conmon has none: its own rotations would meet
    /// berthd's (conmon counts toward its cap across the files berthd starts) and lose the file
    /// between. The price: while berthd is down such a log grows past its cap, and is rotated
    /// when berthd is back.
    public var conmonCap: Int64? { maxFiles > 1 ? nil : maxSize }

    /// The drivers berth answers for: all but `none` are served from conmon's k8s-file.
    static let drivers: Set<String> = ["", "json-file", "k8s-file", "local", "none"]

    /// The options of a create request over berthd's defaults; Docker's errors for bad ones.
    public static func resolve(_ config: HostConfig.LogConfig?, defaults: LogOptions) throws -> LogOptions {
        let type = config?.Type ?? ""
        guard drivers.contains(type) else {
            throw BerthError.invalid("logger: no log driver named '\(type)' is registered")
        }
        var out = defaults
        if type == "none" {
            // Docker's none driver takes no options.
            if let k = config?.Config?.keys.sorted().first { throw BerthError.invalid("unknown log opt '\(k)' for none log driver") }
            out.logging = false
            out.maxSize = nil
            out.maxFiles = 1
            return out
        }
        for (k, v) in config?.Config ?? [:] {
            switch k {
            case "max-size":
                guard let n = Human.parseRAMBytes(v) else { throw BerthError.invalid("invalid value for log opt max-size: \(v)") }
                guard n == 0 || n >= 4096 else { throw BerthError.invalid("max-size must be at least 4kB: \(v)") }
                out.maxSize = n > 0 ? n : nil
            case "max-file":
                guard let n = Int(v), n >= 1 else { throw BerthError.invalid("max-file must be a positive integer: \(v)") }
                guard n <= 100 else { throw BerthError.invalid("max-file must be at most 100: \(v)") }
                out.maxFiles = n
            case "compress", "mode", "max-buffer-size", "labels", "env", "tag":
                continue
            default:
                throw BerthError.invalid("unknown log opt '\(k)' for \(type.isEmpty ? "json-file" : type) log driver")
            }
        }
        if out.maxFiles > 1 && out.maxSize == nil {
            out.warnings.append("log opt max-file=\(out.maxFiles) has no effect without max-size")
            out.maxFiles = 1
        }
        return out
    }
}
