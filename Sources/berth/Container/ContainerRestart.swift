import ArgumentParser

/// `berth restart`.
struct Restart: ContainerAction {
    static let action = "restart"
    static let configuration = CommandConfiguration(abstract: "Restart one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []
    var query: [(String, String)] { time.map { [("t", String($0))] } ?? [] }
}
