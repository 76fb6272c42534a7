import BerthAPI
import BerthCore
import Foundation
import Synchronization

/// `compose up` in the foreground: Ctrl-C (or SIGTERM) stops the project's containers, as
/// docker compose does; a second one kills them. Either way berth exits 130.
// @unchecked: `sources` is filled in init and only kept alive afterwards.
final class ComposeInterrupt: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let count = Mutex(0)

    init(client: APIClient, members: [ComposeEngine.Member]) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in handle(client, members) }
            s.resume()
            sources.append(s)
        }
    }

    private func handle(_ client: APIClient, _ members: [ComposeEngine.Member]) {
        let n = count.withLock { c -> Int in
            c += 1
            return c
        }
        if n > 1 {
            // A second Ctrl-C while stopping: kill, then go.
            DispatchQueue.concurrentPerform(iterations: members.count) { i in
                _ = try? client.begin(.POST, client.path("/containers", members[i].id, "/kill")).body()
            }
            exit(130)
        }
        Out.err("Gracefully stopping... (press Ctrl+C again to force)")
        DispatchQueue.concurrentPerform(iterations: members.count) { i in
            if (try? client.begin(.POST, client.path("/containers", members[i].id, "/stop")).body()) != nil {
                Out.err(" Container \(members[i].name)  Stopped")
            }
        }
        exit(130)
    }

    /// The logs end as the containers stop: once interrupted, the handler's stop (and its exit)
    /// is what ends berth, not the end of the logs.
    func holdIfInterrupted() {
        guard count.withLock({ $0 }) > 0 else { return }
        while true { sleep(60) }
    }
}
