import BerthCore
import Foundation

extension EngineRouter {
    /// Swarm's endpoints answer as a Docker that never joined a swarm: 503 with Docker's message
    /// (clients such as docker-compose and the docker CLI read it to know swarm is off).
    static let swarmRoutes: [Route] = ["swarm", "nodes", "services", "tasks", "secrets", "configs"].flatMap { noun in
        [
            Route(methods: ["GET", "HEAD", "POST", "PUT", "DELETE"], "/\(noun)") { _, _, _ in throw notSwarmManager },
            Route(methods: ["GET", "HEAD", "POST", "PUT", "DELETE"], "/\(noun)/{rest*}") { _, _, _ in throw notSwarmManager },
        ]
    }

    static let notSwarmManager = BerthError(
        .unavailable,
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
}
