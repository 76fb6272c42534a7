import BerthNetwork
import Synchronization

/// The userland proxies of running containers' `[::1]` ports (rootless: all ports), by container id.
final class LoopbackProxies: Sendable {
    typealias Port = (hostIP: String, hostPort: Int, containerPort: Int, proto: String)

    /// Rootless: the namespace containers' addresses are in.
    let targetNetns: RootlessNetns?

    init(targetNetns: RootlessNetns?) { self.targetNetns = targetNetns }

    struct Running {
        /// What they were started for: the same again is left running.
        var key: String
        var proxies: [LoopbackProxy]
    }

    private let running = Mutex<[String: Running]>([:])

    /// Starts one proxy per port (host port → the container's port at `targetIP`); none are
    /// left running when one cannot bind. The proxies of the same ports and target are kept.
    func start(_ id: String, _ ports: [Port], targetIP: String) throws {
        let key = targetIP + " " + ports.map { "\($0.hostIP)|\($0.hostPort):\($0.containerPort)/\($0.proto)" }.joined(separator: ",")
        if running.withLock({ $0[id]?.key == key }) { return }
        stop(id)
        var made: [LoopbackProxy] = []
        do {
            for p in ports {
                made.append(try LoopbackProxy(
                        hostIP: p.hostIP, port: p.hostPort, proto: p.proto, targetIP: targetIP, targetPort: p.containerPort,
                        targetNetns: targetNetns))
            }
        } catch {
            for m in made { m.stop() }
            throw error
        }
        guard !made.isEmpty else { return }
        running.withLock { $0[id] = Running(key: key, proxies: made) }
    }

    func stop(_ id: String) {
        for p in running.withLock({ $0.removeValue(forKey: id) })?.proxies ?? [] { p.stop() }
    }
}
