import BerthAPI
import BerthCore
import Foundation
import Testing

/// The API types against JSON as Docker's API reference documents it.
@Suite struct CodableTests {
    func decode<T: Decodable>(_ t: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(t, from: Data(json.utf8))
    }

    func object(_ v: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as! [String: Any]
    }

    @Test func createRequestFromDockerJSON() throws {
        let json = """
            {"Hostname":"","User":"","AttachStdin":false,"Tty":false,"Env":["FOO=bar"],"Cmd":["date"],
             "Entrypoint":"sh","Image":"ubuntu","Labels":{"com.example.vendor":"Acme"},"WorkingDir":"",
             "StopSignal":"SIGTERM","StopTimeout":10,"ExposedPorts":{"22/tcp":{}},"Volumes":{"/volumes/data":{}},
             "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":3},
             "HostConfig":{"Binds":["/tmp:/tmp"],"Memory":0,"NanoCpus":500000000,"PidsLimit":0,
               "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2},"AutoRemove":true,"NetworkMode":"bridge",
               "Mounts":[{"Type":"volume","Source":"v","Target":"/data","ReadOnly":true}],
               "LogConfig":{"Type":"json-file","Config":{"max-size":"10m"}},"Privileged":false,"ReadonlyRootfs":false}}
            """
        let r = try decode(ContainerCreateRequest.self, json)
        #expect(r.Entrypoint?.values == ["sh"])
        #expect(r.Cmd?.values == ["date"])
        #expect(r.ExposedPorts?.keys.sorted() == ["22/tcp"])
        #expect(r.Healthcheck?.Test == ["CMD-SHELL", "true"] && r.Healthcheck?.Retries == 3)
        #expect(r.HostConfig?.RestartPolicy?.Name == "on-failure" && r.HostConfig?.RestartPolicy?.MaximumRetryCount == 2)
        #expect(r.HostConfig?.Mounts?.first?.Target == "/data" && r.HostConfig?.Mounts?.first?.ReadOnly == true)
        #expect(r.HostConfig?.LogConfig?.Config?["max-size"] == "10m")
        #expect(r.HostConfig?.NanoCpus == 500_000_000)
        // Round trip: what berth stores decodes to the same request.
        let again = try JSONDecoder().decode(ContainerCreateRequest.self, from: JSONEncoder().encode(r))
        #expect(again.Entrypoint == r.Entrypoint && again.Env == r.Env && again.Labels == r.Labels)
        #expect(again.HostConfig?.Binds == ["/tmp:/tmp"])
    }

    @Test func waitAnswerWritesNullError() throws {
        let o = try object(ContainerWaitResponse(StatusCode: 3))
        #expect(o["StatusCode"] as? Int == 3)
        #expect(o.keys.contains("Error") && o["Error"] is NSNull)
        let back = try decode(ContainerWaitResponse.self, #"{"StatusCode":137,"Error":{"Message":"x"}}"#)
        #expect(back.StatusCode == 137 && back.Error?.Message == "x")
    }

    @Test func responsesUseDockerKeys() throws {
        #expect(try object(ContainerCreateResponse(Id: "abc", Warnings: [])).keys.sorted() == ["Id", "Warnings"])
        #expect(
            try object(ContainerPruneReport(ContainersDeleted: ["a"], SpaceReclaimed: 5)).keys.sorted()
                == ["ContainersDeleted", "SpaceReclaimed"])
        #expect(
            try object(VolumePruneReport(VolumesDeleted: [], SpaceReclaimed: 0)).keys.sorted()
                == ["SpaceReclaimed", "VolumesDeleted"])
        let list = try decode(
            VolumeListResponse.self,
            """
            {"Volumes":[{"CreatedAt":"2016-06-07T20:31:11.853781916Z","Driver":"local","Labels":{"k":"v"},
             "Mountpoint":"/var/lib/docker/volumes/tardis","Name":"tardis","Options":{},"Scope":"local"}],"Warnings":[]}
            """)
        #expect(list.Volumes.first?.Name == "tardis" && list.Volumes.first?.Labels == ["k": "v"])
        let exec = try decode(
            ExecInspect.self,
            """
            {"CanRemove":false,"ContainerID":"b53ee82b53a4","DetachKeys":"","ExitCode":2,"ID":"f33bbfb39f5b",
             "OpenStderr":true,"OpenStdin":true,"OpenStdout":true,"Running":false,"Pid":42,
             "ProcessConfig":{"arguments":["-c","exit 2"],"entrypoint":"sh","privileged":false,"tty":true,"user":"1000"}}
            """)
        #expect(exec.ExitCode == 2 && exec.ProcessConfig.arguments == ["-c", "exit 2"])
        let items = try decode([ImageDeleteItem].self, #"[{"Untagged":"busybox:latest"},{"Deleted":"sha256:ab"}]"#)
        #expect(items == [ImageDeleteItem(untagged: "busybox:latest"), ImageDeleteItem(deleted: "sha256:ab")])
    }

    @Test func inspectAndSummaryRoundTrip() throws {
        var i = ContainerInspect()
        i.Id = "abc"
        i.State.Status = "running"
        i.State.Running = true
        i.HostConfig = .object(["NetworkMode": .string("none")])
        var m = ContainerInspect.MountPoint()
        m.Type = "volume"
        m.Destination = "/data"
        i.Mounts = [m]
        let back = try JSONDecoder().decode(ContainerInspect.self, from: JSONEncoder().encode(i))
        #expect(back.State.Running && back.Mounts.first?.Destination == "/data" && back.HostConfig == i.HostConfig)
        let o = try object(i)
        for k in ["Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount", "HostConfig", "Config", "Mounts"] {
            #expect(o[k] != nil, "missing \(k)")
        }
        let s = try decode(
            ContainerSummary.self,
            """
            {"Id":"8dfafdbc3a40","Names":["/boring_feynman"],"Image":"ubuntu:latest","ImageID":"d74508fb6632",
             "Command":"echo 1","Created":1367854155,"State":"exited","Status":"Exit 0","Labels":{}}
            """)
        #expect(s.Names == ["/boring_feynman"] && s.Created == 1_367_854_155)
    }

    @Test func statesAndStatusColumn() {
        let now: Int64 = 1_000 * 1_000_000_000
        #expect(ContainerState.paused.isRunning && !ContainerState.exited.isRunning)
        #expect(
            ContainerState.exited.status(
                exitCode: 3, startedAt: nil, finishedAt: now - 5_000_000_000,
                health: nil, now: now) == "Exited (3) 5 seconds ago")
        #expect(
            ContainerSummary.status(
                state: "running", exitCode: nil, startedAt: now - 120_000_000_000,
                finishedAt: nil, health: "healthy", now: now) == "Up 2 minutes (healthy)")
        #expect(
            ContainerSummary.status(
                state: "bogus", exitCode: nil, startedAt: nil, finishedAt: nil,
                health: nil, now: now) == "Dead")  // as the store reads an unknown state
        #expect(ContainerState.allCases.count == 7)
    }

    @Test func jsonValueKeepsIntegers() throws {
        let v = try decode(JSONValue.self, #"{"a":1,"b":[true,null,"x"],"c":1.5}"#)
        let out = String(decoding: try JSONEncoder().encode(v), as: UTF8.self)
        #expect(out.contains(#""a":1"#) && out.contains(#""c":1.5"#))
    }

    @Test func detachKeysParse() throws {
        #expect(try DetachKeys.parse("ctrl-p,ctrl-q") == [16, 17])
        #expect(throws: BerthError.self) { try DetachKeys.parse("ctrl-1") }
        var d = DetachKeys([16, 17])
        let (out, hit) = d.scan(Data([65, 16, 17]))
        #expect(out == Data([65]) && hit)
    }
}

@Suite struct RestartPolicyTests {
    @Test func namesAsDockerSpellsThem() {
        #expect(RestartPolicyName(request: nil) == RestartPolicyName.no && RestartPolicyName(request: "") == RestartPolicyName.no)
        #expect(RestartPolicyName(request: "unless-stopped") == .unlessStopped && RestartPolicyName(request: "on-failure") == .onFailure)
        #expect(RestartPolicyName(request: "sometimes") == nil && RestartPolicyName(request: "Always") == nil)
        #expect(RestartPolicyName.allCases.map(\.rawValue) == ["no", "always", "unless-stopped", "on-failure"])
    }
}

@Suite struct AuthConfigTests {
    @Test func headerRoundTripAndConfigAuth() throws {
        let a = AuthConfig(username: "u", password: "p+/=?", serveraddress: "reg:5000")
        let back = try #require(AuthConfig.fromHeader(a.headerValue))
        #expect(back.credentials?.user == "u" && back.credentials?.password == "p+/=?")
        #expect(!a.headerValue.contains("+") && !a.headerValue.contains("/"))
        var fromFile = AuthConfig(username: nil, password: nil, serveraddress: nil)
        fromFile.auth = "dTpwOmM="  // u:p:c — the password keeps its colon
        #expect(fromFile.credentials?.user == "u" && fromFile.credentials?.password == "p:c")
        #expect(AuthConfig.fromHeader("") == nil && AuthConfig.fromHeader("e30=") == nil && AuthConfig.fromHeader("%%%") == nil)
    }
}
