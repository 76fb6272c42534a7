import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation
import Synchronization

/// One exec session; kept in memory, as Docker does.
public final class ExecSession: Sendable {
    public let id: String
    public let containerID: String
    public let config: ExecConfig
    struct State {
        var started = false
        var running = false
        var pid: Int32 = 0
        var exitCode: Int32?
        var process: Conmon.ExecProcess?
    }
    let state = Mutex(State())

    init(id: String, containerID: String, config: ExecConfig) {
        self.id = id
        self.containerID = containerID
        self.config = config
    }

    public var inspect: ExecInspect {
        let (running, exitCode, pid) = state.withLock { ($0.running, $0.exitCode, $0.pid) }
        let cmd = config.Cmd ?? []
        return ExecInspect(
            ID: id, Running: running, ExitCode: exitCode,
            ProcessConfig: .init(
                tty: config.Tty ?? false, entrypoint: cmd.first ?? "",
                arguments: Array(cmd.dropFirst()), privileged: config.Privileged ?? false,
                user: config.User ?? ""),
            OpenStdin: config.AttachStdin ?? false, OpenStderr: config.AttachStderr ?? false,
            OpenStdout: config.AttachStdout ?? false, CanRemove: false, ContainerID: containerID,
            DetachKeys: config.DetachKeys ?? "", Pid: pid)
    }

    public var exitCodeIfDone: Int32? { state.withLock { $0.exitCode } }
}

final class ExecSessions: Sendable {
    private let byID = Mutex<[String: ExecSession]>([:])

    func add(_ s: ExecSession) { byID.withLock { $0[s.id] = s } }
    func get(_ id: String) -> ExecSession? { byID.withLock { $0[id] } }
    /// Drops the sessions of removed containers.
    func removeAll(containers: Set<String>) {
        byID.withLock { $0 = $0.filter { !containers.contains($0.value.containerID) } }
    }
}

extension ContainerService {
    /// `POST /containers/{id}/exec`.
    public func execCreate(_ ref: String, _ config: ExecConfig) throws -> String {
        let c = try get(ref)
        guard c.isRunning else { throw BerthError.conflict("Container \(c.id) is not running") }
        if c.state == .restarting { throw BerthError.conflict("Container \(c.id) is restarting, wait until the container is running") }
        if c.state == .paused { throw BerthError.conflict("Container \(c.id) is paused, unpause the container before exec") }
        guard let cmd = config.Cmd, !cmd.isEmpty else { throw BerthError.invalid("No exec command specified") }
        if let k = config.DetachKeys { _ = try DetachKeys.parse(k) }
        let s = ExecSession(id: Identifier.random(), containerID: c.id, config: config)
        execs.add(s)
        try store.write { db in
            try event(db, c, "exec_create: " + cmd.joined(separator: " "), ["execID": s.id])
        }
        return s.id
    }

    public func execSession(_ id: String) throws -> ExecSession {
        guard let s = execs.get(id) else { throw BerthError.notFound("No such exec instance: \(id)") }
        return s
    }

    /// `POST /exec/{id}/start`, first half: conmon is started and, unless detached, the
    /// returned bridge connected; `execRun` then lets the process go.
    /// `startTty`: the start request's `Tty`, which decides the output framing (multiplexed
    /// unless true), as Docker's.
    public func execPrepare(_ id: String, detach: Bool, startTty: Bool? = nil) throws -> (ExecSession, AttachBridge?) {
        let s = try execSession(id)
        let already = s.state.withLock { st in
            defer { st.started = true }
            return st.started
        }
        if already { throw BerthError.conflict("Exec \(id) has already been started") }
        let c = try get(s.containerID)
        guard c.isRunning, c.state != .paused else { throw BerthError.conflict("Container \(c.id) is not running") }
        let f = files(c.id)
        let execFiles = Conmon.ExecFiles(dir: runDir(c.id) + "/exec/" + id)
        try FileOps.makeDirs(execFiles.dir, mode: 0o700)
        let cfg = s.config
        let tty = cfg.Tty ?? false
        let stdin = (cfg.AttachStdin ?? false) && !detach
        try writeExecProcess(c.id, execFiles) { p in
            p.terminal = tty
            p.args = cfg.Cmd ?? []
            p.env += cfg.Env ?? []
            if let wd = cfg.WorkingDir, !wd.isEmpty { p.cwd = wd }
            if let u = cfg.User, !u.isEmpty {
                let user = try HostFiles.resolveUser(u, rootfs: f.rootfs)
                p.user = .init(uid: user.uid, gid: user.gid, additionalGids: user.groups.isEmpty ? nil : user.groups)
            }
            if cfg.Privileged == true {
                let all = SpecBuilder.hostCapabilities
                p.capabilities = .init(bounding: all, effective: all, permitted: all, inheritable: nil, ambient: nil)
            }
        }
        let attach = !detach
        let process = try conmon.exec(
            containerID: c.id, execID: id, files: execFiles, terminal: tty,
            stdin: stdin, attach: attach)
        s.state.withLock { $0.process = process }
        var bridge: AttachBridge?
        if let sock = process.attach {
            let keys = try cfg.DetachKeys.map(DetachKeys.parse) ?? DetachKeys.defaultKeys
            let b = AttachBridge(
                tty: tty, stdin: stdin, stdout: cfg.AttachStdout ?? true,
                stderr: cfg.AttachStderr ?? true, detachKeys: keys, framed: !(startTty ?? tty))
            b.connect(sock)
            bridge = b
        }
        return (s, bridge)
    }

    /// Second half of exec start, blocking: runs the process, pumps its output through the
    /// bridge (if any) and records the exit. Returns runc's error text if it could not start.
    public func execRun(_ s: ExecSession, bridge: AttachBridge?, write: (Data) throws -> Void) -> String? {
        guard let process = s.state.withLock({ $0.process }) else { return "exec was not prepared" }
        let c = try? get(s.containerID)
        let pid: Int32
        do {
            pid = try process.start()
        } catch {
            let message = BerthError.from(error).message
            let code = StartFailure.exitCode(message)
            finishExec(s, c, code: code == 128 ? 126 : code)
            return message
        }
        s.state.withLock {
            $0.pid = pid; $0.running = true
        }
        if let c { try? store.write { db in try event(db, c, "exec_start: " + (s.config.Cmd ?? []).joined(separator: " "), ["execID": s.id]) } }
        // Detached (at start, or by the detach keys since): the process runs on, its exit is
        // awaited off the caller's path so the client's stream ends now.
        if let bridge, bridge.pump(write) != .detached {
            finishExec(s, c, code: process.waitExit())
        } else {
            Thread.detachNewThread { [self] in finishExec(s, c, code: process.waitExit()) }
        }
        return nil
    }

    func finishExec(_ s: ExecSession, _ c: ContainerRecord?, code: Int32) {
        s.state.withLock {
            $0.running = false; $0.exitCode = code; $0.process = nil
        }
        if let c { try? store.write { db in try event(db, c, "exec_die", ["execID": s.id, "exitCode": String(code)]) } }
        FileOps.removeTree(runDir(s.containerID) + "/exec/" + s.id)
    }

    /// Writes an exec's process spec: the container's own process settings (user, caps, env,
    /// rlimits…) as its bundle has them, changed by `configure`.
    func writeExecProcess(
        _ id: String, _ execFiles: Conmon.ExecFiles,
        _ configure: (inout RuntimeSpec.Process) throws -> Void
    ) throws {
        let base = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: files(id).config)))
        var p = base.process
        try configure(&p)
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        try FileOps.writeAtomically(try enc.encode(p), to: execFiles.processSpec, mode: 0o600)
    }

    /// `POST /exec/{id}/resize`.
    public func execResize(_ id: String, height: Int, width: Int) throws {
        let s = try execSession(id)
        guard s.config.Tty == true else { return }
        try Conmon.resize(bundle: runDir(s.containerID) + "/exec/" + id, height: height, width: width)
    }
}
