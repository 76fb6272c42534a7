import BerthCore
import BerthImage
import BerthNetwork
import BerthStore
import Dispatch
import Foundation
import Synchronization

/// Keeps a network's bridge, and the network-wide iptables rules and aardvark-dns netavark made
/// for it, up while berthd runs — as Docker keeps docker0 — instead of netavark building them for
/// a network's first container and removing them with its last (~150 ms of every `run --rm`
/// on an idle host). The hold is a netavark endpoint of its own ("keeper": a namespace under the
/// runroot, the subnet's last host address), so netavark's own teardown of it removes
/// everything when the network goes (`network rm`, berthd stopping) and the start-up sweep
/// clears one a crash left.
final class BridgeKeeper: Sendable {
    /// Networks held, by id.
    private let held = Mutex<Set<String>>([])
    /// One at a time, in order: a release never overtakes the setup it undoes.
    let queue = DispatchQueue(label: "berth.bridge-keeper")

    /// The endpoint id of a network's keeper (also its namespace's and input file's name).
    static func endpointID(_ networkID: String) -> String { "keep-" + networkID.prefix(12) }

    /// The address a keeper holds: the subnet's last host address (none for /30 and smaller).
    static func address(_ subnet: String) -> String? {
        guard let s = Subnet(subnet), s.prefix <= 29 else { return nil }
        return IPAddress.format(s.broadcast - 1)
    }

    /// On `--ipv6` networks, also the IPv6 subnet's last address but one.
    static func address6(_ subnet6: String?) -> String? {
        subnet6.flatMap(Subnet6.init).map { IPAddress.formatIPv6($0.lastHost) }
    }

    func isHeld(_ id: String) -> Bool { held.withLock { $0.contains(id) } }
    func mark(_ id: String, _ on: Bool) {
        held.withLock { if on { $0.insert(id) } else { $0.remove(id) } }
    }
    var all: Set<String> { held.withLock { $0 } }
}

extension ContainerService {
    /// After a container joined `networks`: holds those not held yet, off the caller's path.
    func keepBridges(_ networks: [NetworkRecord]) {
        for net in networks where !keeper.isHeld(net.id) {
            keeper.mark(net.id, true)
            keeper.queue.async { [self] in
                // Not if the network went meanwhile (its release ran first).
                guard (try? store.read({ db in try NetworkStore.get(db, net.id) })) != nil else {
                    keeper.mark(net.id, false)
                    return
                }
                do { try setUpKeeper(net) } catch {
                    keeper.mark(net.id, false)
                    teardownNetwork(BridgeKeeper.endpointID(net.id))
                    logger.warning("holding the bridge of \(net.name): \(BerthError.from(error).message)")
                }
            }
        }
    }

    func setUpKeeper(_ net: NetworkRecord) throws {
        guard let ip = BridgeKeeper.address(net.subnet) else { return }
        let id = BridgeKeeper.endpointID(net.id)
        let options = NetavarkOptions(
            container_id: id, container_name: id, port_mappings: nil,
            networks: [net.name: .init(static_ips: [ip] + (BridgeKeeper.address6(net.subnet6).map { [$0] } ?? []), aliases: nil, interface_name: "eth0")],
            network_info: [net.name: Self.netavarkNetwork(net)])
        try FileOps.makeDirs(paths.runroot + "/netns", mode: 0o700)
        try FileOps.writeAtomically(try JSONCoding.encode(options), to: netnsOptionsPath(id), mode: 0o600, durable: false)
        try NetNS.create(at: netnsPath(id))
        _ = try netavark.setup(netns: netnsPath(id), options: options)
    }

    /// Lets a network's bridge go (its keeper torn down; netavark removes the bridge and the
    /// network's rules once no container is on it). Waits until done.
    func releaseBridge(_ networkID: String) {
        keeper.queue.sync {
            keeper.mark(networkID, false)
            teardownNetwork(BridgeKeeper.endpointID(networkID))
        }
    }

    /// berthd is stopping: every bridge it holds goes with the containers that no longer run.
    public func releaseBridges() {
        for id in keeper.all { releaseBridge(id) }
    }
}
