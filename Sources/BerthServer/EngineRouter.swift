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
    /// Request counts and latencies for `/metrics`.
    public let metrics: RequestMetrics

    public init(
        store: Store, images: ImageService, containers: ContainerService, paths: BerthPaths,
        daemonID: String, logger: Logger, metrics: RequestMetrics = RequestMetrics()
    ) {
        self.metrics = metrics
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
        let start = ContinuousClock.now
        let found = Self.table.find(method: r.method, path: r.path)
        let response: APIResponse
        do {
            guard let (route, params) = found else { throw BerthError.notFound("page not found: \(r.method) \(r.path)") }
            response = try await route.handler(self, r, params)
        } catch let e as BerthError {
            if e.code == .internalError { logger.error("\(r.method) \(r.path): \(e.message)") }
            response = .error(e)
        } catch {
            logger.error("\(r.method) \(r.path): \(error)")
            response = .error(BerthError.from(error))
        }
        let elapsed = ContinuousClock.now - start
        metrics.record(
            method: r.method, route: found?.0.pattern ?? "unmatched", status: response.status,
            nanos: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        return response
    }
}
