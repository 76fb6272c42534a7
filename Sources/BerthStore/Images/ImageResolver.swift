import BerthCore
import BerthImage

/// Finds the image a user means: a tag, `name@digest`, a full id, or a unique id prefix —
/// in Docker's order.
public enum ImageResolver {
    public enum Match: Sendable, Equatable {
        /// Named through a tag (`busybox:latest` → the full tag name).
        case tag(name: String, imageID: String)
        /// Named through a repo digest.
        case digest(imageID: String)
        /// Named by id or id prefix.
        case id(String)

        public var imageID: String {
            switch self {
            case .tag(_, let id), .digest(let id), .id(let id): return id
            }
        }
    }

    public static func resolve(_ db: StoreTransaction, _ text: String) throws -> Match {
        if let m = try find(db, text) { return m }
        throw BerthError.notFound("No such image: \(text)")
    }

    /// The image ids `text` names (none or one): what `ps -f ancestor=` matches.
    public static func imageIDs(_ db: StoreTransaction, _ text: String) throws -> [String] {
        try find(db, text).map { [$0.imageID] } ?? []
    }

    public static func find(_ db: StoreTransaction, _ text: String) throws -> Match? {
        var hex = text
        if text.hasPrefix("sha256:") {
            hex = String(text.dropFirst(7))
            guard Identifier.isHex(hex) else { throw BerthError.invalid("invalid image id: \(text)") }
        } else if let ref = try? Reference.parse(text) {
            if let d = ref.digest {
                if let id = try ImageQueries.imageForDigest(db, repository: ref.name, digest: d.string) {
                    return .digest(imageID: id)
                }
            } else {
                let name = ref.withTag(ref.tag ?? Reference.defaultTag).description
                if let id = try ImageQueries.imageForTag(db, name: name) { return .tag(name: name, imageID: id) }
            }
        }
        guard Identifier.isHex(hex) else { return nil }
        let ids = try ImageQueries.imagesWithIDPrefix(db, hexPrefix: hex)
        if ids.count > 1 { throw BerthError.invalid("image id prefix \(text) is ambiguous: it matches more than one image") }
        return ids.first.map { .id($0) }
    }
}
