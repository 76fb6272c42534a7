import ArgumentParser

/// `berth stop`.
struct Stop: ContainerAction {
    static let action = "stop"
    static let configuration = CommandConfiguration(abstract: "Stop one or more running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []
    var query: [(String, String)] { time.map { [("t", String($0))] } ?? [] }
}
