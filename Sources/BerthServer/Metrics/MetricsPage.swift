import BerthCore
import BerthStore
import Foundation
import Prometheus

/// `GET /metrics`: Prometheus' text exposition (format 0.0.4) of the host, read from SQLite
/// at each scrape, followed by berthd's request figures.
enum MetricsPage {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ f: HostFigures, requests: RequestMetrics, databaseBytes: Int64, now: Int64 = Clock.nowNanos()) -> [UInt8] {
        // A fresh registry per scrape: a removed container's series go with it.
        let r = PrometheusCollectorRegistry()
        for (state, n) in f.containersByState.sorted(by: { $0.key < $1.key }) {
            r.makeGauge(name: "berth_containers", labels: [("state", state)], help: "Containers by state, as berth ps -a counts them.")
                .set(Int64(n))
        }
        r.makeGauge(name: "berth_containers_running", help: "Containers running now (paused ones not counted).")
            .set(Int64(f.containersByState["running"] ?? 0))
        for c in f.containers {
            r.makeCounter(
                name: "berth_container_restarts_total", labels: [("container", c.name), ("id", String(c.id.prefix(12)))],
                help: "Restarts a restart policy made, per container (inspect's RestartCount)."
            ).increment(by: c.restarts)
            if let health = c.health {
                for status in ["starting", "healthy", "unhealthy"] {
                    r.makeGauge(
                        name: "berth_container_health", labels: [("container", c.name), ("id", String(c.id.prefix(12))), ("status", status)],
                        help: "1 for the health status a container with a health check has now, 0 for the others."
                    ).set(Int64(health == status ? 1 : 0))
                }
            }
        }
        for e in f.exits {
            r.makeCounter(
                name: "berth_container_exits_total",
                labels: [("container", e.name), ("id", String(e.id.prefix(12))), ("exit_code", String(e.code))],
                help: "Ended runs per container and exit code (container history)."
            ).increment(by: Int64(e.count))
        }
        r.makeCounter(name: "berth_oom_kills_total", help: "Runs ended by the kernel's OOM killer, in all recorded history.")
            .increment(by: Int64(f.oomKills))
        r.makeGauge(name: "berth_images", help: "Images stored.").set(Int64(f.images))
        r.makeGauge(name: "berth_image_bytes", help: "Unpacked bytes of the images' layers, each layer once.").set(f.imageBytes)
        r.makeGauge(name: "berth_events", help: "Events kept in the history.").set(Int64(f.events))
        r.makeGauge(name: "berth_database_bytes", help: "Bytes of berth.db and its write-ahead log.").set(databaseBytes)
        r.makeGauge(name: "berth_uptime_seconds", help: "Seconds since berthd started.")
            .set(Double(max(0, now - requests.startedAt)) / 1e9)
        r.makeGauge(name: "berth_start_time_seconds", help: "When berthd started, Unix seconds.")
            .set(Double(requests.startedAt) / 1e9)
        var out: [UInt8] = []
        r.emit(into: &out)
        requests.emit(into: &out)
        return out
    }
}
