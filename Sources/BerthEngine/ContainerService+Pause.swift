import BerthAPI
import BerthCore
import BerthRuntime
import BerthStore
import Foundation

extension ContainerService {
    /// `berth pause`: freezes every process of the container (cgroup freezer, through runc).
    public func pause(_ ref: String) async throws {
        try await onContainer(ref) { [self] in
            let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
            guard c.state == .running else {
                throw BerthError.conflict(c.state == .paused ? "container \(c.id) is already paused" : "container \(c.id) is not running")
            }
            // The freezer is a cgroup's: refused, not half done, where there is none.
            try RootlessHost.checkLimit(true, flag: "pause (the cgroup freezer)")
            try runc.pause(c.id)
            try store.write { db in
                try ContainerStore.setPaused(db, id: c.id, true)
                try event(db, c, "pause")
            }
        }
    }

    /// `berth unpause`.
    public func unpause(_ ref: String) async throws {
        try await onContainer(ref) { [self] in
            let c = try store.read { db in try ContainerQueries.resolve(db, ref) }
            guard c.state == .paused else { throw BerthError.conflict("container \(c.id) is not paused") }
            try thaw(c)
        }
    }

    /// Resumes a paused container (also before signals, which a frozen process never sees).
    func thaw(_ c: ContainerRecord) throws {
        try runc.resume(c.id)
        try store.write { db in
            try ContainerStore.setPaused(db, id: c.id, false)
            try event(db, c, "unpause")
        }
    }

    /// `berth rename`.
    public func rename(_ ref: String, to newName: String) async throws {
        try await worker.run { [self] in
            let name = newName.hasPrefix("/") ? String(newName.dropFirst()) : newName
            guard NameGenerator.isValid(name) else {
                throw BerthError.invalid("Invalid container name (\(newName)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            }
            let id = try store.write { db in
                let c = try ContainerQueries.resolve(db, ref)
                if c.name == name { throw BerthError.invalid("Renaming a container with the same name as its current name") }
                if let holder = try ContainerQueries.idForName(db, name) {
                    throw BerthError.conflict(
                        "Conflict. The container name \"/\(name)\" is already in use by container \"\(holder)\". You have to remove (or rename) that container to be able to reuse that name."
                    )
                }
                try ContainerStore.rename(db, id: c.id, to: name)
                var renamed = c
                renamed.name = name
                try event(db, renamed, "rename", ["oldName": "/" + c.name])
                return c.id
            }
            writeSnapshot(id)
        }
    }
}
