import BerthAPI
import BerthCore
import Foundation

extension ContainerRecord {
    /// Throws Docker's error when the container's log driver keeps nothing to read (`none`).
    public func checkLogsReadable() throws {
        let host = try? JSONDecoder().decode(HostConfig.self, from: Data(hostConfigJSON.utf8))
        if host?.LogConfig?.Type == "none" {
            throw BerthError(.notImplemented, "configured logging driver does not support reading")
        }
    }
}
