import BerthAPI
import BerthCore
import BerthImage
import BerthStore
import Testing

@testable import BerthEngine

@Suite struct HardeningRulesTests {
    @Test func lostAndFoundKeepsWhatALostDatabaseForgot() {
        // A crash leaves a few unrecorded files: deleted.
        #expect(!LostAndFound.suspicious(freshDatabase: false, unrecorded: 2, recorded: 10))
        #expect(!LostAndFound.suspicious(freshDatabase: false, unrecorded: 8, recorded: 0))
        // A new database with anything on disk, or far more on disk than recorded: kept aside.
        #expect(LostAndFound.suspicious(freshDatabase: true, unrecorded: 1, recorded: 0))
        #expect(LostAndFound.suspicious(freshDatabase: false, unrecorded: 40, recorded: 3))
        #expect(!LostAndFound.suspicious(freshDatabase: false, unrecorded: 40, recorded: 400))
        #expect(!LostAndFound.suspicious(freshDatabase: true, unrecorded: 0, recorded: 0))
    }

    @Test func logOptions() throws {
        let d = LogOptions(maxSize: 100 << 20)
        #expect(try LogOptions.resolve(nil, defaults: d) == d)
        #expect(try LogOptions.resolve(.init(Type: "json-file", Config: ["max-size": "10m", "max-file": "3"]), defaults: d).maxSize == 10 << 20)
        #expect(try LogOptions.resolve(.init(Type: nil, Config: ["max-file": "3"]), defaults: d).maxFiles == 3)
        #expect(try LogOptions.resolve(.init(Type: nil, Config: ["max-file": "3"]), defaults: LogOptions()).maxFiles == 1)
        #expect(try LogOptions.resolve(.init(Type: "local", Config: ["max-size": "0"]), defaults: d).maxSize == nil)
        for bad in [
            HostConfig.LogConfig(Type: "splunk", Config: nil), .init(Type: nil, Config: ["max-size": "1"]),
            .init(Type: nil, Config: ["max-size": "lots"]), .init(Type: nil, Config: ["max-file": "0"]),
            .init(Type: nil, Config: ["nope": "1"]),
        ] {
            #expect(throws: BerthError.self) { try LogOptions.resolve(bad, defaults: d) }
        }
    }

    @Test func createValidation() throws {
        func check(_ edit: (inout ContainerCreateRequest, inout HostConfig) -> Void) -> String? {
            var r = ContainerCreateRequest()
            var h = HostConfig()
            edit(&r, &h)
            do { try ContainerService.validate(r, host: h, cpuCount: 2); return nil } catch { return BerthError.from(error).message }
        }
        #expect(check { _, _ in } == nil)
        #expect(check { _, h in h.NanoCpus = 2_000_000_000 } == nil)
        #expect(check { _, h in h.NanoCpus = 2_000_000_001 }?.contains("Range of CPUs is from 0.01 to 2.00") == true)
        #expect(check { _, h in h.NanoCpus = 1 }?.contains("Range of CPUs") == true)
        #expect(check { _, h in h.Memory = 6 << 20 } == nil)
        #expect(check { _, h in h.Memory = 1 } == "Minimum memory limit allowed is 6MB")
        #expect(check { r, _ in r.WorkingDir = "rel" }?.contains("absolute path") == true)
        #expect(check { r, _ in r.Env = ["A=\u{0}"] }?.contains("NUL") == true)
        #expect(
            check { r, _ in
                var hc = HealthConfig(); hc.Test = ["CMD", "true"]; hc.Interval = 999_999; r.Healthcheck = hc
            }?.contains("1ms") == true)
        #expect(check { r, _ in r.StopSignal = "SIGBOGUS" } != nil)
    }
}
