import BerthCore
import Foundation

/// berthd started by an ordinary user: it moves into berth's user and mount namespaces, where
/// it is root over the user's own uid and subordinate ids, and runs there. A pause process
/// holds the namespaces (so a restarted berthd, and the containers it left running, share
/// them); berthd re-executes itself with its pid, and rootless.c joins before main.
enum RootlessEntry {
    /// Returns at once as root or once inside; otherwise re-executes berthd (no return).
    static func enterIfNeeded(paths: BerthPaths, socket: String) throws {
        let failedJoin = UserNamespace.joinError
        if let e = failedJoin, geteuid() == 0 { throw BerthError.internal("rootless: \(e)") }
        guard geteuid() != 0 else { return }
        // A pause process that ended between the look and the join: one more try, with a new one.
        if let e = failedJoin {
            guard getenv("BERTH_USERNS_RETRY") == nil else { throw BerthError.internal("rootless: \(e)") }
            setenv("BERTH_USERNS_RETRY", "1", 1)
        } else {
            unsetenv("BERTH_USERNS_RETRY")
        }
        // Private to the user: another user may not read the state or reach the socket.
        for d in [paths.root, paths.runroot, (socket as NSString).deletingLastPathComponent] {
            try FileOps.makeDirs(d, mode: 0o700)
            chmod(d, 0o700)
        }
        let pid = try livePause(paths) ?? makePause(paths)
        setenv("BERTH_USERNS_PID", String(pid), 1)
        setenv("BERTH_ROOT", paths.root, 1)
        setenv("BERTH_RUNROOT", paths.runroot, 1)
        setenv("BERTH_HOST", "unix://" + socket, 1)
        let args = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        // By its path, not /proc/self/exe, so the process keeps its name (`ps`, `pgrep berthd`).
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
        execv(exe, &argv)
        throw BerthError.posix("rootless: re-executing berthd")
    }

    /// The pause process of an earlier start, if it still runs (as this user, by that name).
    static func livePause(_ paths: BerthPaths) -> pid_t? {
        guard let text = try? String(contentsOfFile: paths.pauseFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
            comm.trimmingCharacters(in: .newlines) == "berth-pause"
        else { return nil }
        var st = stat()
        // A pause process that is dying (a zombie) has no namespaces left to join.
        guard stat("/proc/\(pid)", &st) == 0, st.st_uid == geteuid(), stat("/proc/\(pid)/ns/user", &st) == 0 else { return nil }
        return pid
    }

    /// A new pause process, its namespaces mapped by newuidmap/newgidmap: root inside is the
    /// user, 1… the user's subordinate range.
    static func makePause(_ paths: BerthPaths) throws -> pid_t {
        let uid = geteuid(), gid = getegid()
        let user = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? String(uid)
        let subuid = try range("/etc/subuid", user: user, id: uid, tool: "--add-subuids")
        let subgid = try range("/etc/subgid", user: user, id: gid, tool: "--add-subgids")
        let pid = try UserNamespace.spawnPause()
        do {
            for (tool, id, r) in [("newuidmap", uid, subuid), ("newgidmap", gid, subgid)] {
                let path = ["/usr/bin/", "/bin/", "/usr/sbin/"].map { $0 + tool }.first { access($0, X_OK) == 0 }
                guard let path else { throw BerthError.invalid("rootless: \(tool) is missing (Debian package uidmap)") }
                let r = try Spawn.run(path, [String(pid), "0", String(id), "1", "1", String(r.start), String(r.count)])
                guard r.status == 0 else { throw BerthError.internal("rootless: \(tool) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
            }
            try FileOps.writeAtomically(Data("\(pid)\n".utf8), to: paths.pauseFile)
        } catch {
            kill(pid, SIGKILL)
            Spawn.wait(pid)
            throw error
        }
        return pid
    }

    static func range(_ file: String, user: String, id: UInt32, tool: String) throws -> UserNamespace.Range {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        guard let r = UserNamespace.subordinateRange(text, user: user, id: id), r.count >= 65536 - 1 else {
            throw BerthError.invalid(
                "rootless: \(user) has no range of at least 65535 ids in \(file): add one as root, e.g. usermod \(tool) 100000-165535 \(user)")
        }
        return r
    }
}
