/// Image naming helpers that need no parsing.
public enum ImageName {
    /// `docker.io/library/busybox` → `busybox`, `docker.io/me/app` → `me/app`; others unchanged.
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
