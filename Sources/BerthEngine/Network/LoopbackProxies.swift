import BerthNetwork
import Synchronization

/// The userland proxies of running containers' `[::1]` ports, by container id.
final class LoopbackProxies: Sendable {
    private let running = Mutex<[String: [LoopbackProxy]]>([:])

    /// Starts one proxy per port (host port → the container's port at `targetIP`); none are
    /// left running when one cannot bind.
    func start(_ id: String, _ ports: [(hostPort: Int, containerPort: Int, proto: String)], targetIP: String) throws {
        stop(id)
        var made: [LoopbackProxy] = []
        do {
            for p in ports {
                made.append(try LoopbackProxy(port: p.hostPort, proto: p.proto, targetIP: targetIP, targetPort: p.containerPort))
            }
        } catch {
            for m in made { m.stop() }
            throw error
        }
        guard !made.isEmpty else { return }
        running.withLock { $0[id] = made }
    }

    func stop(_ id: String) {
        for p in running.withLock({ $0.removeValue(forKey: id) }) ?? [] { p.stop() }
    }

}
