import BerthAPI
import BerthCore
import BerthEngine
import BerthNetwork
import BerthStore
import Foundation
import Logging
import Testing

@testable import BerthServer

/// berthd's router driven through its `APIHandler` seam: no socket, a real store in a temp root.
@Suite struct RouterTests {
    final class Fixture {
        let dir: String
        let router: EngineRouter
        init() throws {
            dir = NSTemporaryDirectory() + "berth-router-" + Identifier.random().prefix(12)
            let paths = BerthPaths(root: dir + "/root", runroot: dir + "/run")
            for d in [paths.root, paths.volumes, paths.tmp, paths.containers] { try FileOps.makeDirs(d, mode: 0o700) }
            let store = try Store.openForWriting(path: paths.database)
            let containers = ContainerService(store: store, paths: paths)
            var net = DefaultNetworkConfig()
            net.subnet = Subnet("10.254.0.0/24")
            try containers.ensureDefaultNetwork(net)
            router = EngineRouter(
                store: store, images: ImageService(store: store, paths: paths), containers: containers, paths: paths,
                daemonID: "test", logger: Logger(label: "test"))
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func call(_ method: String, _ path: String, query: [String: [String]] = [:], body: String = "") async -> APIResponse {
            await router.handle(APIRequest(method: method, path: path, query: query, headers: [:], body: Data(body.utf8)))
        }
    }

    func json(_ r: APIResponse) -> Any? {
        guard case .data(let d) = r.body else { return nil }
        return try? JSONSerialization.jsonObject(with: d)
    }

    func message(_ r: APIResponse) -> String { (json(r) as? [String: Any])?["message"] as? String ?? "" }

    @Test func pingVersionInfo() async throws {
        let f = try Fixture()
        let ping = await f.call("HEAD", "/_ping")
        #expect(ping.status == 200)
        let v = await f.call("GET", "/version")
        #expect((json(v) as? [String: Any])?["ApiVersion"] as? String == APIVersion.current)
        let info = await f.call("GET", "/info")
        #expect((json(info) as? [String: Any])?["Containers"] as? Int == 0)
    }

    @Test func unknownPathsAndBadBodies() async throws {
        let f = try Fixture()
        let missing = await f.call("GET", "/nope")
        #expect(missing.status == 404 && message(missing).contains("page not found"))
        let wrongMethod = await f.call("PUT", "/containers/json")
        #expect(wrongMethod.status == 404)
        let empty = await f.call("POST", "/containers/create")
        #expect(empty.status == 400 && message(empty).contains("config cannot be empty"))
        let garbage = await f.call("POST", "/containers/create", body: "{nope")
        #expect(garbage.status == 400 && message(garbage).contains("invalid container config"))
        let noImage = await f.call("POST", "/containers/create", body: #"{"Image":"nosuch:1","Cmd":["true"]}"#)
        #expect(noImage.status == 404 && message(noImage).contains("No such image"))
        let noContainer = await f.call("GET", "/containers/abc/json")
        #expect(noContainer.status == 404)
        let badFilter = await f.call("GET", "/containers/json", query: ["filters": ["{\"bogus\":[\"x\"]}"]])
        #expect(badFilter.status == 400)
    }

    @Test func listsAreEmptyArrays() async throws {
        let f = try Fixture()
        #expect((json(await f.call("GET", "/containers/json")) as? [Any])?.isEmpty == true)
        #expect((json(await f.call("GET", "/images/json")) as? [Any])?.isEmpty == true)
        let img = await f.call("GET", "/images/library/busybox:latest/json")
        #expect(img.status == 404 && message(img).contains("No such image: library/busybox:latest"))
    }

    @Test func volumeLifecycle() async throws {
        let f = try Fixture()
        let created = await f.call("POST", "/volumes/create", body: #"{"Name":"data","Labels":{"a":"b"}}"#)
        #expect(created.status == 201)
        let list = json(await f.call("GET", "/volumes")) as? [String: Any]
        let vols = list?["Volumes"] as? [[String: Any]]
        #expect(vols?.first?["Name"] as? String == "data")
        #expect((vols?.first?["Labels"] as? [String: String]) == ["a": "b"])
        let one = await f.call("GET", "/volumes/data")
        #expect((json(one) as? [String: Any])?["Driver"] as? String == "local")
        #expect(await f.call("DELETE", "/volumes/data").status == 204)
        #expect(await f.call("GET", "/volumes/data").status == 404)
    }
}

extension RouterTests {
    @Test func networksThroughTheRouter() async throws {
        let f = try Fixture()
        let list = json(await f.call("GET", "/networks")) as? [[String: Any]]
        #expect(list?.map { $0["Name"] as? String } == ["bridge"])
        let created = await f.call("POST", "/networks/create", body: #"{"Name":"app","IPAM":{"Config":[{"Subnet":"10.254.9.0/24"}]}}"#)
        #expect(created.status == 201)
        let dup = await f.call("POST", "/networks/create", body: #"{"Name":"app"}"#)
        #expect(dup.status == 409 && message(dup).contains("already exists"))
        let overlap = await f.call("POST", "/networks/create", body: #"{"Name":"b2","IPAM":{"Config":[{"Subnet":"10.254.0.0/16"}]}}"#)
        #expect(overlap.status == 409)
        let one = json(await f.call("GET", "/networks/app")) as? [String: Any]
        #expect(((one?["IPAM"] as? [String: Any])?["Config"] as? [[String: String]])?.first?["Gateway"] == "10.254.9.1")
        #expect(await f.call("DELETE", "/networks/bridge").status == 409)
        #expect(await f.call("DELETE", "/networks/app").status == 204)
        #expect(await f.call("GET", "/networks/app").status == 404)
    }
}
