import BerthImage
import Foundation

/// The API version berthd speaks.
public enum APIVersion {
    public static let current = "1.45"
    public static let minimum = "1.24"
    public static let serverVersion = "0.1.0"
}

/// Facts about the host for /version and /info.
public enum SystemFacts {
    public static var kernelVersion: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    public static var machine: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    public static var operatingSystem: String {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return "Linux" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst(12).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }

    public static var cgroupVersion: String {
        FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") ? "2" : "1"
    }

    public static func version() -> VersionInfo {
        let v = APIVersion.serverVersion
        return VersionInfo(Platform: .init(Name: "berth"),
                           Components: [.init(Name: "Engine", Version: v)],
                           Version: v, ApiVersion: APIVersion.current, MinAPIVersion: APIVersion.minimum,
                           GitCommit: "", GoVersion: "", Os: "linux", Arch: ImageConfig.hostArchitecture,
                           KernelVersion: kernelVersion, BuildTime: "")
    }
}
