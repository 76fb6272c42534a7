import BerthAPI
import BerthCore
import BerthEngine
import BerthImage
import BerthStore
import Foundation
import Logging

/// berthd's routes: the subset of the Docker Engine API berth serves, as one table of
/// handlers grouped by noun (`Routes/`).
public struct EngineRouter: APIHandler {
    let store: Store
    let images: ImageService
    let containers: ContainerService
    let paths: BerthPaths
    let daemonID: String
    let logger: Logger

    public init(
        store: Store, images: ImageService, containers: ContainerService, paths: BerthPaths,
        daemonID: String, logger: Logger
    ) {
        self.store = store
        self.images = images
        self.containers = containers
        self.paths = paths
        self.daemonID = daemonID
        self.logger = logger
    }

    /// Every route, literal paths before patterns of the same shape.
    static let table = RouteTable(
        routes: systemRoutes + imageRoutes + commitRoutes + buildRoutes + execRoutes + containerRoutes + volumeRoutes + networkRoutes
            + swarmRoutes)

    public func handle(_ r: APIRequest) async -> APIResponse {
        do {
            return try await route(r)
        } catch let e as BerthError {
            if e.code == .internalError { logger.error("\(r.method) \(r.path): \(e.message)") }
            return .error(e)
        } catch {
            logger.error("\(r.method) \(r.path): \(error)")
            return .error(BerthError.from(error))
        }
    }

    func route(_ r: APIRequest) async throws -> APIResponse {
        guard let (route, params) = Self.table.find(method: r.method, path: r.path) else {
            throw BerthError.notFound("page not found: \(r.method) \(r.path)")
        }
        return try await route.handler(self, r, params)
    }
}
