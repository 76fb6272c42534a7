// berth-fuzz: libFuzzer over berth's parsers when built with `-sanitize=fuzzer -DBERTH_FUZZ`
// (`make fuzz`); otherwise a bounded run of seeded random inputs through the same targets.
import Foundation

#if BERTH_FUZZ
/// libFuzzer's driver, called from our own entry point (SwiftPM names the executable's main).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The input libFuzzer hands over (its runtime also looks this symbol up by name).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzTargets.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#endif

@main
struct BerthFuzzMain {
    static func main() {
        #if BERTH_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
        #else
        SeededRun.main(CommandLine.arguments)
        #endif
    }
}
