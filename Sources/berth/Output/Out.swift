import BerthCore
import Foundation

enum Out {
    static func print(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    static func write(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    /// Docker's prune report: a titled list (when there is any) and the space reclaimed.
    static func pruneReport(_ title: String, _ items: [String]?, reclaimed: Int64) {
        if let items, !items.isEmpty {
            print(title)
            for i in items { print(i) }
            print("")
        }
        print("Total reclaimed space: " + Human.size(reclaimed))
    }

    static func err(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    /// Asks a yes/no question on the terminal; anything but y/yes is no.
    static func confirm(_ question: String) -> Bool {
        write(question + " [y/N] ")
        guard let line = readLine() else { return false }
        let a = line.trimmingCharacters(in: .whitespaces).lowercased()
        return a == "y" || a == "yes"
    }
}
