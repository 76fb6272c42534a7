import ArgumentParser

/// `berth pause`.
struct Pause: ContainerAction {
    static let action = "pause"
    static let configuration = CommandConfiguration(abstract: "Pause all processes within one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER", completion: Completions.containers) var containers: [String] = []
}
