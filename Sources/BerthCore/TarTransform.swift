/// Expressions for GNU tar, which `cp` runs inside a container's mount namespace.
public enum TarTransform {
    /// A GNU tar `--transform` expression renaming the top entry `from` to `to`.
    public static func rename(_ from: String, _ to: String) -> String {
        func escape(_ s: String, _ special: String) -> String {
            var out = ""
            for ch in s {
                if special.contains(ch) { out.append("\\") }
                out.append(ch)
            }
            return out
        }
        return "s,^" + escape(from, "\\.^$*[],") + "\\(/\\|$\\)," + escape(to, "\\,&") + "\\1,"
    }
}
