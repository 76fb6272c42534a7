import Logging

/// Logging setup shared by the executables.
public enum BerthLogging {
    /// Routes swift-log to stderr at the given level (default info; BERTH_LOG_LEVEL overrides).
    public static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
