import BerthCore
import BerthRuntime

extension ContainerService {
    /// Docker's `--device-cgroup-rule` syntax: `TYPE MAJOR:MINOR ACCESS`, TYPE `a`, `b` or `c`,
    /// MAJOR and MINOR a number or `*`, ACCESS some of `rwm`.
    static func deviceRule(_ text: String) throws -> RuntimeSpec.DeviceRule {
        func bad() -> BerthError { BerthError.invalid("invalid device cgroup rule format: '\(text)'") }
        let f = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard f.count == 3, ["a", "b", "c"].contains(f[0]) else { throw bad() }
        let mm = f[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard mm.count == 2 else { throw bad() }
        func number(_ s: String) throws -> Int64? {
            if s == "*" { return nil }
            guard let n = Int64(s), n >= 0, n < 1 << 32 else { throw bad() }
            return n
        }
        let access = f[2]
        guard !access.isEmpty, access.count <= 3, access.allSatisfy({ "rwm".contains($0) }), Set(access).count == access.count else { throw bad() }
        return .init(allow: true, type: f[0], major: try number(mm[0]), minor: try number(mm[1]), access: access)
    }
}
