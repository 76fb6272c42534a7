import BerthCore
import BerthStore
import Foundation

extension Daemon {
    /// Restart policies act once berthd answers: start-up time does not grow with them.
    func policyStarts() -> Task<Void, Never> {
        let (containers, store, logger, recovered, daemonID) = (self.containers, self.store, self.logger, self.recovered, self.daemonID)
        return Task.detached {
            // Forced removals a crash cut short go first: a removed container never restarts.
            let finished = await containers.finishPendingRemovals()
            if finished > 0 { logger.notice("finished \(finished) interrupted removals") }
            let p = await containers.startByPolicy()
            let died = recovered.rebootDied + recovered.exitsApplied + recovered.monitorLost
            if p.considered > 0 || died > 0 {
                logger.notice(
                    "recovered \(died + p.considered) containers: \(p.restarted) restarted, \(p.leftExited + p.failed) left exited, \(recovered.autoRemoved) removed"
                )
                try? store.appendEvent(
                    type: "daemon", action: "recover", actorID: daemonID, actorName: "berthd",
                    attributes: [
                        "rebooted": String(recovered.rebootDied > 0), "died": String(died),
                        "restarted": String(p.restarted), "leftExited": String(p.leftExited + p.failed),
                        "removed": String(recovered.autoRemoved),
                    ])
            }
        }
    }

    /// The WAL folded into the database now and then (a lost -wal file loses little), and the
    /// disk reserve made again once there is room.
    func checkpoints() -> Task<Void, Never> {
        let (store, reserve) = (self.store, self.reserve)
        return Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 60_000_000_000)
                if Task.isCancelled { return }
                store.checkpoint()
                reserve.ensure()
            }
        }
    }

    /// History retention, in the background: chunked deletes never hold queries up.
    func retention() -> Task<Void, Never>? {
        let (store, logger, policy, every) = (self.store, self.logger, config.retention, config.retentionInterval)
        if policy.isUnlimited { return nil }
        return Task.detached {
            while !Task.isCancelled {
                do {
                    let n = try Retention.apply(store, policy)
                    if n.events + n.runs > 0 { logger.info("retention: \(n.events) events, \(n.runs) runs pruned") }
                } catch {
                    logger.warning("retention: \(error)")
                }
                try? await Task.sleep(nanoseconds: Checked.sleepNanos(every))
            }
        }
    }
}
