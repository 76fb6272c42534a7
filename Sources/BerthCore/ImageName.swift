/// Image naming helpers that need no parsing.
public enum ImageName {
    /// `docker.io/library/busybox` → `busybox`, `docker.io/me/app` → `me/app`; others unchanged.
    /// A full tag name (`docker.io/library/busybox:latest`) as users write it (`busybox:latest`).
    public static func familiarTag(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return familiar(name) }
        return familiar(String(name[..<colon])) + String(name[colon...])
    }

    public static func familiar(_ repository: String) -> String {
        let lib = "docker.io/library/"
        if repository.hasPrefix(lib) {
            let rest = repository.dropFirst(lib.count)
            if !rest.contains("/") { return String(rest) }
        }
        if repository.hasPrefix("docker.io/") { return String(repository.dropFirst(10)) }
        return repository
    }
}
