import BerthCore
import Foundation
import Prometheus

/// berthd's own figures kept in memory: API requests by route and status, their latency, and
/// when berthd started. Host figures (containers, images, history) are read from SQLite at each
/// scrape instead (`MetricsPage`), so they always agree with `ps`.
public final class RequestMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// When berthd started, Unix nanoseconds.
    public let startedAt: Int64

    /// Latency buckets from a ping (well under a millisecond) to a slow pull or build.
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
    ]

    public init(startedAt: Int64 = Clock.nowNanos()) {
        self.startedAt = startedAt
    }

    /// One answered request: `route` is the pattern that matched (`/containers/{id}/json`), so
    /// ids and names do not make a series each; unmatched paths share one label.
    func record(method: String, route: String, status: Int, nanos: Int64) {
        registry.makeCounter(
            name: "berth_http_requests_total", labels: [("method", method), ("route", route), ("code", String(status))],
            help: "API requests answered, by method, route and HTTP status."
        ).increment()
        registry.makeDurationHistogram(
            name: "berth_http_request_duration_seconds", labels: [("method", method), ("route", route)],
            buckets: Self.buckets, help: "Time until the response (or its stream) started, by method and route."
        ).recordNanoseconds(nanos)
    }

    /// The exposition of what this registry holds.
    func emit(into buffer: inout [UInt8]) {
        registry.emit(into: &buffer)
    }
}
