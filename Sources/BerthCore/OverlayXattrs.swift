/// The extended attributes overlayfs keeps its own marks in. As root, `trusted.overlay.*`;
/// in a user namespace (rootless berthd) the kernel grants no `trusted.` attributes, and
/// overlayfs mounted with `userxattr` (Linux 5.11+) reads `user.overlay.*` instead.
public enum OverlayXattrs {
    public static let rootless = UserNamespace.isRootless
    public static let prefix = rootless ? "user.overlay." : "trusted.overlay."
    /// A directory that hides what the layers below hold at its path.
    public static let opaque = prefix + "opaque"
    /// The mount options the namespace needs (`,userxattr` or nothing).
    public static let mountOptions = rootless ? ",userxattr" : ""

    /// Whether an attribute name is overlayfs's (never part of an image's content).
    public static func isOverlays(_ name: String) -> Bool {
        name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.")
    }
}
