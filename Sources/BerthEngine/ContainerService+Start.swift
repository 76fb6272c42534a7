import BerthAPI
import BerthCore
import BerthImage
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// The init `--init` runs as pid 1 (static, from Debian's catatonit).
    static let initPath = "/usr/bin/catatonit"

    /// `berth start`: mounts the rootfs, writes the bundle, starts conmon and the container.
    public func start(_ ref: String) async throws {
        try await onContainer(ref) { [self] in try startSync(ref) }
    }

    func startSync(_ ref: String, restarting: Bool = false) throws {
        var c = try store.read { db in try ContainerQueries.resolve(db, ref) }
        // A user's start of a container waiting for its restart: now, not later.
        if !restarting && c.state == .restarting { c = try cancelPendingRestart(c) }
        if restarting ? c.state != .restarting : c.isRunning { throw BerthError(.notModified, "container already started") }
        if c.state == .removing || c.state == .dead {
            throw BerthError.conflict("cannot start container \(c.id): it is \(c.state)")
        }
        let req = try JSONDecoder().decode(ContainerCreateRequest.self, from: Data(c.configJSON.utf8))
        let host = try JSONDecoder().decode(HostConfig.self, from: Data(c.hostConfigJSON.utf8))
        let f = files(c.id)
        // Its host ports are in the database (and held) once it runs, or given back.
        defer { worker.ports.release(c.id) }
        do {
            try prepareAndRun(c, req: req, host: host, files: f, restarting: restarting)
        } catch {
            cancelPendingAttaches(c.id)
            cleanupRuntime(c.id)
            let message = BerthError.from(error).message
            let code = Int64(StartFailure.exitCode(message))
            try? store.write { db in
                try ContainerStore.recordStartFailure(db, id: c.id, message: message, code: code)
            }
            // As Docker: an --rm container that cannot start is removed, and whoever waits
            // for it (`wait?condition=removed`) hears of it.
            if host.AutoRemove == true {
                try? removeSync(c.id, force: true, volumes: true)
                waiters.notify(c.id, code: code)
            }
            throw BerthError(code == 128 ? .internalError : .invalidArgument, message)
        }
    }

    func prepareAndRun(
        _ c: ContainerRecord, req: ContainerCreateRequest, host: HostConfig, files f: Files,
        restarting: Bool = false
    ) throws {
        // Whatever fails, a network setup still running is waited for first: the cleanup's
        // teardown must come after it.
        var pendingNetwork: PendingNetworkSetup?
        defer { _ = try? pendingNetwork?.wait() }
        let mounts = try store.read { db in try ContainerQueries.mounts(db, id: c.id) }
        try rootfsMounts.acquireForRun(c.id, target: f.rootfs) { try mountRootfs(c) }
        try populateVolumes(c, mounts: mounts, rootfs: f.rootfs)
        // Written without fsync at create: rewritten if a power cut left them empty.
        if FileOps.size(f.hostname) <= 0 {
            let hostName = req.Hostname ?? String(c.id.prefix(12))
            let hostNet = host.NetworkMode == "host"
            try FileOps.writeAtomically(Data(HostFiles.hosts(hostname: hostName, hostNetwork: hostNet).utf8), to: f.hosts)
            try FileOps.writeAtomically(Data((hostName + "\n").utf8), to: f.hostname)
            try FileOps.writeAtomically(Data(HostFiles.resolvConf(hostNetwork: hostNet).utf8), to: f.resolv)
        }
        let user = try HostFiles.resolveUser(req.User ?? "", rootfs: f.rootfs)
        let cwd = (req.WorkingDir?.isEmpty ?? true) ? "/" : req.WorkingDir!
        if cwd != "/" {
            // Docker creates a missing working directory: inside the rootfs, whatever symlinks
            // the image or an earlier run of the container left on the way.
            try InRoot(f.rootfs).makeDirectories(cwd)
        }
        var rc = ContainerRuntimeConfig(
            id: c.id, rootfs: f.rootfs,
            args: Self.command(req, image: nil), env: req.Env ?? [], cwd: cwd,
            hostname: req.Hostname ?? String(c.id.prefix(12)))
        rc.uid = user.uid
        rc.gid = user.gid
        rc.additionalGids = user.groups
        rc.terminal = req.Tty ?? false
        rc.seccompCompat32 = seccompCompat32
        rc.readOnlyRootfs = host.ReadonlyRootfs ?? false
        rc.privileged = host.Privileged ?? false
        rc.capAdd = host.CapAdd ?? []
        rc.capDrop = host.CapDrop ?? []
        rc.memoryLimit = (host.Memory ?? 0) > 0 ? host.Memory : nil
        rc.nanoCPUs = (host.NanoCpus ?? 0) > 0 ? host.NanoCpus : nil
        rc.pidsLimit = (host.PidsLimit ?? 0) > 0 ? host.PidsLimit : nil
        rc.hostNetwork = host.NetworkMode == "host"
        try applyOptions(host, to: &rc, containerDir: f.dir)
        if let net = try setupNetwork(c) {
            pendingNetwork = net.pending
            rc.netnsPath = net.netns
            let extra = try networkFiles(c, host: host, gateway: net.gateway)
            rc.env += extra.env
            // Docker maps the hostname to the container's address.
            let hostName = req.Hostname ?? String(c.id.prefix(12))
            try FileOps.writeAtomically(
                Data(
                    HostFiles.hosts(
                        hostname: hostName, hostNetwork: false, ip: net.ip, extra: (net.ip6.map { ["\($0)\t\(hostName)"] } ?? []) + extra.hostLines
                    ).utf8), to: f.hosts)
            if let resolv = Self.resolvConf(host, networkDNS: net.dns) {
                try FileOps.writeAtomically(Data(resolv.utf8), to: f.resolv)
            }
        } else if let ref = Self.joinedContainer(host.NetworkMode ?? "") {
            // Its namespace is the other container's, and so are its names and resolver.
            let target = try store.read { db in try ContainerQueries.resolve(db, ref) }
            guard target.state == .running || target.state == .paused, let pid = target.pid else {
                throw BerthError.conflict("cannot join network namespace of a non running container: \(target.name)")
            }
            rc.netnsPath = "/proc/\(pid)/ns/net"
            let other = files(target.id)
            for (from, to) in [(other.hosts, f.hosts), (other.resolv, f.resolv)] {
                if let data = FileManager.default.contents(atPath: from) { try FileOps.writeAtomically(data, to: to) }
            }
        } else if host.NetworkMode != "host", let resolv = Self.resolvConf(host, networkDNS: nil) {
            try FileOps.writeAtomically(Data(resolv.utf8), to: f.resolv)
        }
        var specMounts: [RuntimeSpec.Mount] = []
        for m in mounts {
            switch m.type {
            case "tmpfs":
                specMounts.append(
                    .init(
                        destination: m.destination, type: "tmpfs", source: "tmpfs",
                        options: ["nosuid", "nodev", m.readOnly ? "ro" : "rw"]))
            default:
                guard let src = m.source else { continue }
                if m.type == "bind" && !FileOps.exists(src) { try FileOps.makeDirs(src) }
                specMounts.append(
                    .init(
                        destination: m.destination, type: "bind", source: src,
                        options: ["rbind", m.propagation ?? "rprivate", m.readOnly ? "ro" : "rw"]))
            }
        }
        for (file, dest) in [(f.hosts, "/etc/hosts"), (f.hostname, "/etc/hostname"), (f.resolv, "/etc/resolv.conf")]
        where !specMounts.contains(where: { $0.destination == dest }) {
            specMounts.append(.init(destination: dest, type: "bind", source: file, options: ["rbind", "rprivate", "rw"]))
        }
        if host.Init == true {
            // Docker's --init: a tiny init as pid 1 that reaps zombies and forwards signals.
            guard FileOps.exists(Self.initPath) else {
                throw BerthError.invalid("--init needs \(Self.initPath) (apt-get install catatonit)")
            }
            specMounts.append(.init(destination: "/dev/init", type: "bind", source: Self.initPath, options: ["rbind", "ro"]))
            rc.args = ["/dev/init", "--"] + rc.args
        }
        rc.mounts = specMounts
        let spec = try SpecBuilder.build(rc)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try FileOps.writeAtomically(try enc.encode(spec), to: f.config, mode: 0o600, durable: false)

        try FileOps.makeDirs(runDir(c.id), mode: 0o700)
        try FileOps.makeDirs(exitDir, mode: 0o700)
        try FileOps.makeDirs(paths.runroot + "/socket", mode: 0o700)
        unlink(exitDir + "/" + c.id)
        unlink(f.persist + "/exit")
        unlink(f.persist + "/oom")
        unlink(f.bundle + "/oom")  // conmon's, in its working directory
        runc.delete(c.id, force: true)
        // A TTY's stdin stays open when a client detaches (closing it would hang up the
        // terminal); otherwise it closes with the first client unless StdinOnce is off.
        let logs = try LogOptions.resolve(host.LogConfig, defaults: logDefaults)
        let started = try conmon.create(
            id: c.id, name: c.name, files: conmonFiles(c.id), terminal: req.Tty ?? false,
            stdin: req.OpenStdin ?? false,
            leaveStdinOpen: (req.Tty ?? false) || !(req.StdinOnce ?? false),
            logSizeMax: logs.conmonCap, logging: logs.logging)
        if logs.maxFiles > 1, let size = logs.maxSize {
            logRotator?.watch(id: c.id, dir: f.dir, maxFiles: logs.maxFiles, maxSize: size)
        }
        try pendingNetwork?.wait()
        connectPendingAttaches(c.id)
        let conmonStart = ProcStat.startTime(started.conmonPid)
        let now = Clock.nowNanos()
        try runc.start(c.id)
        try store.write { db in
            try ContainerStore.recordStart(
                db, id: c.id, name: c.name, imageRef: c.imageRef, pid: started.containerPid,
                conmonPid: started.conmonPid, conmonStartTime: conmonStart, at: now, bootID: bootID,
                restarting: restarting, healthStatus: Self.healthCommand(req.Healthcheck) == nil ? nil : "starting")
            try NetworkStore.recordRunNetwork(db, containerID: c.id)
            try event(db, c, "start", time: now)
        }
        startHealthMonitor(c.id)
    }

    /// Mounts the container's rootfs (its image's layers under its own upper dir). Called only
    /// by `rootfsMounts`, which knows whether it is mounted already.
    func mountRootfs(_ c: ContainerRecord) throws {
        let f = files(c.id)
        let lowers = try lowerDirs(c)
        guard !lowers.isEmpty else { throw BerthError.internal("image \(c.imageID) has no layers") }
        try FileOps.makeDirs(f.rootfs)
        try Mounts.overlay(lowers: lowers, upper: f.upper, work: f.work, target: f.rootfs)
    }

    /// Runs `body` with the container's rootfs mounted (a hold of its own: a concurrent start
    /// or exit neither doubles nor removes the mount under it).
    func withRootfs<T>(_ c: ContainerRecord, _ body: () throws -> T) throws -> T {
        let target = files(c.id).rootfs
        try rootfsMounts.acquire(c.id, target: target) { try mountRootfs(c) }
        defer { rootfsMounts.release(c.id, target: target) }
        return try body()
    }

    /// Drops runtime state for a container that is not running: runc's record, the rootfs
    /// mount, its runroot folder and exit file.
    func cleanupRuntime(_ id: String, runcState: Bool = true) {
        if runcState { runc.delete(id, force: true) }
        teardownNetwork(id)
        rootfsMounts.releaseRun(id, target: files(id).rootfs)
        logRotator?.unwatch(id: id)
        if runcState { FileOps.removeTree(runDir(id)) }
        unlink(exitDir + "/" + id)
        // conmon's attach socket and control FIFO, stale once it is gone (after a reboot too).
        for f in ["attach", "ctl", "winsz"] { unlink(files(id).bundle + "/" + f) }
    }
}
