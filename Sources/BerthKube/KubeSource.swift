import BerthAPI
import BerthCore
import Foundation

/// What berth knows of one container, as `kube generate` reads it: its create request and
/// what berth resolved for it (the image digest, mounts, published ports).
public struct KubeSource: Sendable {
    public var name: String
    /// The image as typed, and `repo@sha256:…` when berth knows the digest it runs.
    public var image: String
    public var imageDigestRef: String?
    public var request: ContainerCreateRequest
    public var mounts: [Mount]
    public var ports: [Port]

    public struct Mount: Sendable {
        public var type: String  // bind, volume, tmpfs
        public var source: String?
        public var destination: String
        public var volumeName: String?
        public var readOnly: Bool
        public init(type: String, source: String?, destination: String, volumeName: String?, readOnly: Bool) {
            self.type = type; self.source = source; self.destination = destination; self.volumeName = volumeName; self.readOnly = readOnly
        }
    }

    public struct Port: Sendable {
        public var containerPort: Int
        public var proto: String
        public var hostIP: String?
        public var hostPort: Int?
        public init(containerPort: Int, proto: String, hostIP: String?, hostPort: Int?) {
            self.containerPort = containerPort; self.proto = proto; self.hostIP = hostIP; self.hostPort = hostPort
        }
    }

    public init(name: String, image: String, imageDigestRef: String?, request: ContainerCreateRequest, mounts: [Mount], ports: [Port]) {
        self.name = name; self.image = image; self.imageDigestRef = imageDigestRef; self.request = request
        self.mounts = mounts; self.ports = ports
    }

    /// The container whose network namespace it joins (`--network container:X`).
    public var joins: String? {
        guard let mode = request.HostConfig?.NetworkMode, mode.hasPrefix("container:") else { return nil }
        return String(mode.dropFirst("container:".count))
    }
}

/// Kubernetes names (RFC 1123 labels), made deterministically from berth's names.
public enum KubeName {
    /// Lowercase letters, digits and `-`, starting and ending alphanumeric, at most 63; a name
    /// that had to change keeps a short hash of the original so two never collide.
    public static func label(_ s: String) -> String {
        var out = ""
        for c in s.lowercased() {
            if c.isASCII && (c.isLetter || c.isNumber) { out.append(c) } else if !out.hasSuffix("-") { out.append("-") }
        }
        while out.hasPrefix("-") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        if out == s && out.count <= 63 { return out }
        let hash = String(format: "%05x", s.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } & 0xfffff)
        let base = out.isEmpty ? "c" : String(out.prefix(63 - 6))
        var trimmed = base
        while trimmed.hasSuffix("-") { trimmed.removeLast() }
        return trimmed + "-" + hash
    }

    /// A label value Kubernetes accepts (≤ 63, alphanumeric at the ends, `-_.` inside), or nil.
    public static func isLabelValue(_ v: String) -> Bool {
        guard v.count <= 63 else { return false }
        if v.isEmpty { return true }
        func alnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
        return alnum(v.first!) && alnum(v.last!) && v.allSatisfy { alnum($0) || "-_.".contains($0) }
    }

    /// A label or annotation key: an optional DNS prefix and `/`, a name ≤ 63.
    public static func isKey(_ k: String) -> Bool {
        let parts = k.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        let name = String(parts.last!)
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253,
                prefix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") })
            else { return false }
        }
        return !name.isEmpty && isLabelValue(name)
    }
}
