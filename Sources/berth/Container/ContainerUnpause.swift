import ArgumentParser

/// `berth unpause`.
struct Unpause: ContainerAction {
    static let action = "unpause"
    static let configuration = CommandConfiguration(abstract: "Unpause all processes within one or more containers.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "CONTAINER") var containers: [String] = []
}
