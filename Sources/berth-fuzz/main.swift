// berth-fuzz: libFuzzer over berth's parsers when built with `-sanitize=fuzzer -DBERTH_FUZZ`
// (`make fuzz`); otherwise a bounded run of seeded random inputs through the same targets.
import Foundation

#if BERTH_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
SeededRun.main(CommandLine.arguments)
#endif
