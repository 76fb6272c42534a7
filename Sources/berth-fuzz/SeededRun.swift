import BerthAPI
import BerthCore
import Foundation

/// Without libFuzzer: inputs built from a seeded generator out of pieces the parsers care
/// about, so the same run repeats and a failure names its seed.
enum SeededRun {

    static let pieces = [
        "0", "1", "9", ".", "-", "+", "e", "h", "m", "s", "ms", "k", "g", "=", ":", "/", "\n", "@",
        "sha256:", "9223372036854775807", "-9223372036854775808", "99999999999", "1e308", "nan",
        "label", "name", "status", "exited", "since", "before", "ancestor", "publish", "expose", "until",
        "{\"HostConfig\":{\"NanoCpus\":", "{\"Healthcheck\":{\"Interval\":", "}}", "{\"Env\":[\"", "\"]}",
        "busybox", "docker.io/library/", ":latest", "..", ".wh.", "ctrl-", "SIG", "KILL", "a=b",
        "FROM ", "RUN ", "ARG ", "ENV ", "COPY --from=", " AS ", "\\\n", "${", "}", ":-", ":+", "$", "\"", "'",
        "<<EOF\n", "EOF\n", "# escape=`\n", "[\"", "**", "!", "[", "?", "*",
        "services:\n  a:\n    image: x\n", "    ports: [", "    volumes: [", "    depends_on: [a]\n", "<<: *", "&x ", "*x",
        "kind: Pod\nspec:\n  containers:\n  - {name: c, image: i", ", ports: [{containerPort: ", "}]}\n", "---\n", "extends: a\n",
        "1:0:0:0:0:0:0:0:0:0:0:0:0", "  terminationGracePeriodSeconds: ", "    cpus: ", "    stop_grace_period: ", "1e300",
        "a: &a [x,x,x,x]\nb: &b [*a,*a,*a,*a]\n",
    ]

    static func main(_ args: [String]) {
        let count = args.count > 1 ? Int(args[1]) ?? 200_000 : 200_000
        var rng = SeededRandom(seed: args.count > 2 ? UInt64(args[2]) ?? 1 : 1)
        for _ in 0..<count {
            var bytes: [UInt8] = [UInt8.random(in: 0...255, using: &rng)]
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    bytes.append(UInt8.random(in: 0...255, using: &rng))
                } else {
                    bytes += Array(pieces.randomElement(using: &rng)!.utf8)
                }
            }
            FuzzTargets.run(bytes)
        }
        print("berth-fuzz: \(count) seeded inputs, no crash")
    }
}
