import ArgumentParser

/// `berth kill`.
struct Kill: ContainerAction {
    static let action = "kill"
    static let configuration = CommandConfiguration(abstract: "Kill one or more running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Signal to send to the container.") var signal: String?
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []
    var query: [(String, String)] { signal.map { [("signal", $0)] } ?? [] }
}
