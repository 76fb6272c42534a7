import BerthAPI
import BerthBuild
import BerthCore
import BerthImage
import Foundation

extension Builder {
    /// The shell of shell-form commands: SHELL's, else `/bin/sh -c`.
    var shell: [String] { state.config.Shell ?? ["/bin/sh", "-c"] }

    /// CMD/ENTRYPOINT/HEALTHCHECK's command: the exec form as given, the shell form through the shell.
    func command(_ ins: Instruction, _ args: String) -> [String] {
        if let json = ins.json { return json }
        return shell + [args]
    }

    /// Instructions that change only the image config.
    func configStep(_ ins: Instruction) async throws {
        var cfg = state.config
        let env = expansionEnv
        var text = ins.keyword + " " + ins.args
        switch ins.keyword {
        case "ENV":
            let pairs = try expander.keyValues(ins.args, env, instruction: "ENV")
            for (k, v) in pairs {
                var list = (cfg.Env ?? []).filter { !$0.hasPrefix(k + "=") && $0 != k }
                list.append(k + "=" + v)
                cfg.Env = list
            }
            text = "ENV " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        case "LABEL":
            let pairs = try expander.keyValues(ins.args, env, instruction: "LABEL")
            for (k, v) in pairs { cfg.Labels = (cfg.Labels ?? [:]).merging([k: v]) { _, n in n } }
            text = "LABEL " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        case "MAINTAINER":
            // Deprecated: the image's author, not part of the container config.
            text = "MAINTAINER " + ins.args
        case "EXPOSE":
            var ports: [String] = []
            for w in try expander.words(ins.args) {
                let p = try expander.expand(w, env)
                let port = p.contains("/") ? p.lowercased() : p + "/tcp"
                let parts = port.split(separator: "/")
                let range = parts.first?.split(separator: "-").compactMap { Int($0) } ?? []
                guard parts.count == 2, !range.isEmpty, range.count <= 2, range.allSatisfy({ $0 > 0 && $0 < 65536 }),
                    ["tcp", "udp", "sctp"].contains(parts[1])
                else { throw BerthError.invalid("invalid containerPort: \(p)") }
                for n in range[0]...(range.last!) {
                    let key = "\(n)/\(parts[1])"
                    cfg.ExposedPorts = (cfg.ExposedPorts ?? [:]).merging([key: EmptyObject()]) { a, _ in a }
                    ports.append(key)
                }
            }
            text = "EXPOSE " + ports.joined(separator: " ")
        case "VOLUME":
            let vols =
                try ins.json.map { try $0.map { try expander.expand($0, env) } }
                ?? expander.words(ins.args).map { try expander.expand($0, env) }
            guard !vols.isEmpty else { throw BerthError.invalid("VOLUME specified can not be an empty string") }
            for v in vols {
                guard !v.isEmpty else { throw BerthError.invalid("VOLUME specified can not be an empty string") }
                cfg.Volumes = (cfg.Volumes ?? [:]).merging([v: EmptyObject()]) { a, _ in a }
            }
            text = "VOLUME " + "[" + vols.map { "\"\($0)\"" }.joined(separator: " ") + "]"
        case "USER":
            let u = try expander.expandLine(ins.args, env)
            guard !u.isEmpty else { throw BerthError.invalid("USER requires exactly one argument") }
            cfg.User = u
            text = "USER " + u
        case "WORKDIR":
            let w = try expander.expandLine(ins.args, env)
            guard !w.isEmpty else { throw BerthError.invalid("WORKDIR requires exactly one argument") }
            let base = cfg.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
            cfg.WorkingDir = ContainerPath.clean(w.hasPrefix("/") ? w : base + "/" + w)
            text = "WORKDIR " + cfg.WorkingDir!
        case "CMD":
            cfg.Cmd = command(ins, ins.args)
            state.cmdSet = true
            text = "CMD " + Self.jsonText(cfg.Cmd!)
        case "ENTRYPOINT":
            cfg.Entrypoint = ins.json ?? (ins.args.isEmpty ? nil : shell + [ins.args])
            // Docker: an ENTRYPOINT drops a CMD the stage did not set itself.
            if !state.cmdSet { cfg.Cmd = nil }
            text = "ENTRYPOINT " + Self.jsonText(cfg.Entrypoint ?? [])
        case "STOPSIGNAL":
            let s = try expander.expandLine(ins.args, env)
            _ = try Signals.parse(s)
            cfg.StopSignal = s
            text = "STOPSIGNAL " + s
        case "HEALTHCHECK":
            cfg.Healthcheck = try healthcheck(ins)
        case "SHELL":
            guard let json = ins.json, !json.isEmpty else {
                throw BerthError.invalid("SHELL requires the arguments to be in JSON form")
            }
            cfg.Shell = json
            text = "SHELL " + Self.jsonText(json)
        case "ONBUILD":
            let trigger = ins.args.trimmingCharacters(in: .whitespaces)
            let kw = String(trigger.prefix { !$0.isWhitespace }).uppercased()
            guard !kw.isEmpty else { throw BerthError.invalid("ONBUILD requires at least one argument") }
            guard !["ONBUILD", "FROM", "MAINTAINER"].contains(kw) else {
                throw BerthError.invalid("\(kw) isn't allowed as an ONBUILD trigger")
            }
            cfg.OnBuild = (cfg.OnBuild ?? []) + [trigger]
        case "ARG":
            let decl = try argDeclarations(ins, env: metaArgs.merging(env) { _, n in n })
            let names = try expander.words(ins.args).map { String($0.prefix { $0 != "=" }) }
            for (k, v) in decl {
                state.args.removeAll { $0.0 == k }
                state.args.append((k, v))
            }
            // A meta ARG redeclared without a default takes the global value.
            for n in names where !decl.contains(where: { $0.0 == n }) {
                if let v = metaArgs[n] { state.args.append((n, v)) }
            }
            text = "ARG " + ins.args
        default:
            throw BerthError.invalid("unknown instruction: \(ins.keyword)")
        }
        try await commitConfig(cfg, text)
    }

    /// HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--start-interval=…] [--retries=…] CMD …|NONE
    func healthcheck(_ ins: Instruction) throws -> HealthConfig {
        var h = HealthConfig()
        let kw = String(ins.args.prefix { !$0.isWhitespace }).uppercased()
        if kw == "NONE" {
            guard ins.args.trimmingCharacters(in: .whitespaces).count == 4, ins.flags.isEmpty else {
                throw BerthError.invalid("HEALTHCHECK NONE takes no arguments")
            }
            h.Test = ["NONE"]
            return h
        }
        guard kw == "CMD" else { throw BerthError.invalid("Unknown type \"\(kw)\" in HEALTHCHECK (try CMD)") }
        let rest = ins.args.dropFirst(3).trimmingCharacters(in: .whitespaces)
        guard !rest.isEmpty else { throw BerthError.invalid("Missing command after HEALTHCHECK CMD") }
        if rest.hasPrefix("["), let arr = try? JSONDecoder().decode([String].self, from: Data(rest.utf8)) {
            h.Test = ["CMD"] + arr
        } else {
            h.Test = ["CMD-SHELL", rest]
        }
        func duration(_ k: String) throws -> Int64? {
            guard let v = ins.flags[k] else { return nil }
            guard let d = Clock.parseGoDuration(v), d >= 0 else { throw BerthError.invalid("invalid --\(k)=\(v) in HEALTHCHECK") }
            return d
        }
        for k in ins.flags.keys where !["interval", "timeout", "start-period", "start-interval", "retries"].contains(k) {
            throw BerthError.invalid("Unknown flag: \(k)")
        }
        h.Interval = try duration("interval")
        h.Timeout = try duration("timeout")
        h.StartPeriod = try duration("start-period")
        h.StartInterval = try duration("start-interval")
        if let r = ins.flags["retries"] {
            guard let n = Int(r), n >= 0 else { throw BerthError.invalid("invalid --retries=\(r) in HEALTHCHECK") }
            h.Retries = n
        }
        return h
    }

    /// `["a","b"]` as Docker shows exec forms in history.
    static func jsonText(_ a: [String]) -> String {
        String(decoding: (try? JSONCoding.encode(a)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
