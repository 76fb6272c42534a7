"""Pulling from a real registry (Debian's docker-registry on 127.0.0.1, fed with skopeo)."""
import glob
import http.client
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BIN, needs_root, wait_until
from proxies import RegistryProxy

pytestmark = needs_root


def test_pull_records_the_image_and_its_repo_digest(daemon, registry, images):
    registry.push(images["bb-docker.tar"], "tools/bb:1.0")
    name = f"{registry.addr}/tools/bb:1.0"
    out = daemon.berth("pull", name).out.splitlines()
    assert out[0] == "1.0: Pulling from tools/bb"
    # Docker's lines without a terminal: each layer's messages as they happen, ending "Pull complete".
    statuses = [l.split(": ")[1] for l in out[1:-3]]
    assert set(statuses) == {"Pulling fs layer", "Download complete", "Pull complete"}
    assert statuses.count("Pull complete") == statuses.count("Pulling fs layer") >= 1
    assert out[-3].startswith("Digest: sha256:") and out[-2] == f"Status: Downloaded newer image for {name}"
    assert out[-1] == name
    digest = out[-3].split(" ")[1]
    info = json.loads(daemon.berth("image", "inspect", name).out)[0]
    assert info["RepoTags"] == [name] and info["RepoDigests"] == [f"{registry.addr}/tools/bb@{digest}"]
    assert digest in daemon.berth("images", "--digests").out
    # By digest, and again: nothing fetched, Docker's words.
    assert daemon.berth("image", "inspect", "-f", "{{.Id}}", f"{registry.addr}/tools/bb@{digest}").out.strip() == info["Id"]
    again = daemon.berth("pull", name).out.splitlines()
    assert again[-2] == f"Status: Image is up to date for {name}"
    assert daemon.berth("run", "--rm", name, "echo", "pulled").out == "pulled\n"
    # The same layers under another name: none is fetched again.
    registry.push(images["bb-docker.tar"], "other/bb:2")
    other = daemon.berth("pull", f"{registry.addr}/other/bb:2").out.splitlines()
    layer_lines = [l for l in other if l.count(": ") == 1 and not l.startswith(("Digest", "Status", "2:"))]
    assert layer_lines and all(l.endswith(": Already exists") for l in layer_lines), other
    pulls = json.loads(daemon.berth("sql", "--format", "json",
                                    "SELECT reference, registry, digest, bytes_fetched, bytes_reused, outcome FROM pulls ORDER BY id").out)
    assert [p["outcome"] for p in pulls] == ["downloaded", "up-to-date", "downloaded"]
    assert pulls[0]["reference"] == name and pulls[0]["registry"] == registry.addr and pulls[0]["digest"] == digest
    assert pulls[0]["bytes_fetched"] > 100000 and pulls[0]["bytes_reused"] == 0
    assert pulls[2]["bytes_reused"] > 100000 and pulls[2]["bytes_fetched"] < 10000
    actions = [a for (a,) in daemon.rows("SELECT action FROM events WHERE type = 'image' ORDER BY id")]
    assert actions[:2] == ["pull", "tag"] and actions.count("pull") == 3
    daemon.assert_consistent()


def test_run_pulls_a_missing_image(daemon, registry, images):
    registry.push(images["bb-docker.tar"], "bb:latest")
    p = daemon.berth("run", "--rm", f"{registry.addr}/bb", "echo", "hello")
    assert p.out == "hello\n"
    assert f"Unable to find image '{registry.addr}/bb' locally" in p.err
    assert f"Status: Downloaded newer image for {registry.addr}/bb:latest" in p.err


def test_missing_and_corrupt_images_are_refused_and_leave_nothing(daemon, registry, images):
    r = daemon.berth("pull", f"{registry.addr}/nosuch:1", check=False)
    assert r.returncode == 1 and f"manifest for {registry.addr}/nosuch:1 not found" in r.err
    registry.push(images["bb-docker.tar"], "bad:1")
    # Flip a byte of the largest blob on the registry's disk: the registry serves it as is.
    blobs = sorted(glob.glob(os.path.join(registry.storage, "docker/registry/v2/blobs/sha256/*/*/data")), key=os.path.getsize)
    with open(blobs[-1], "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0xFF]))
    r = daemon.berth("pull", f"{registry.addr}/bad:1", check=False)
    assert r.returncode == 1 and "digest mismatch" in r.err
    outcomes = [o for (o,) in daemon.rows("SELECT outcome FROM pulls ORDER BY id")]
    assert outcomes[0].startswith("failed: manifest for") and outcomes[1].startswith("failed: ") and "digest mismatch" in outcomes[1]
    assert daemon.rows("SELECT count(*) FROM images") == [(0,)]
    assert daemon.rows("SELECT count(*) FROM blobs") == [(0,)]
    assert os.listdir(os.path.join(daemon.root, "tmp")) == []
    daemon.assert_consistent()
    r = daemon.berth("pull", "Not/A:Valid:Name", check=False)
    assert r.returncode == 1 and "invalid reference format" in r.err


def test_docker_cli_pulls_through_berthd(daemon, registry, images, workdir):
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    registry.push(images["bb-docker.tar"], "bb:2")
    env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))
    p = subprocess.run(["docker", "pull", f"{registry.addr}/bb:2"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Pulling from bb" in p.stdout and f"Downloaded newer image for {registry.addr}/bb:2" in p.stdout
    assert daemon.berth("images", "-q", f"{registry.addr}/bb:2").out.strip()


def test_push_then_pull_back(bb, registry):
    name = f"{registry.addr}/pushed/bb:1"
    bb.berth("tag", "busybox", name)
    out = bb.berth("push", name).out.splitlines()
    assert out[0] == f"The push refers to repository [{registry.addr}/pushed/bb]"
    assert out[1:-1] and all(l.endswith(": Pushed") for l in out[1:-1])
    assert out[-1].startswith("1: digest: sha256:") and " size: " in out[-1]
    digest = out[-1].split()[2]
    # The registry holds what berth says it pushed (skopeo reads it independently).
    p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{name}"], capture_output=True, text=True, check=True)
    assert json.loads(p.stdout)["Digest"] == digest
    assert f"{registry.addr}/pushed/bb@{digest}" in json.loads(bb.berth("image", "inspect", name).out)[0]["RepoDigests"]
    again = bb.berth("push", name).out.splitlines()
    assert all(l.endswith(": Layer already exists") for l in again[1:-1]) and again[-1].split()[2] == digest
    # Gone locally, back from the registry, and it runs.
    bb.berth("rmi", name, "busybox")
    assert bb.berth("run", "--rm", name, "echo", "round-trip").out == "round-trip\n"
    r = bb.berth("push", f"{registry.addr}/nosuch:1", check=False)
    assert r.returncode == 1 and "An image does not exist locally with the tag" in r.err
    bb.assert_consistent()


def test_docker_py_pulls_and_pushes(bb, registry):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + bb.sock)
    try:
        img = client.images.get("busybox")
        assert img.tag(f"{registry.addr}/py/bb", tag="7")
        out = client.images.push(f"{registry.addr}/py/bb", tag="7")
        assert "digest: sha256:" in out and "error" not in out
        client.images.remove(f"{registry.addr}/py/bb:7")
        pulled = client.images.pull(f"{registry.addr}/py/bb", tag="7")
        assert pulled.id == img.id and f"{registry.addr}/py/bb:7" in pulled.tags
        with pytest.raises(docker.errors.NotFound):
            client.images.pull(f"{registry.addr}/py/nosuch", tag="1")
    finally:
        client.close()


def test_login_then_pull_and_push_a_private_registry(daemon, private_registry, images, workdir):
    reg = private_registry
    reg.push(images["bb-docker.tar"], "team/app:1")
    cfg = os.path.join(workdir, "dockercfg")
    env_daemon_berth = daemon.env
    env_daemon_berth["DOCKER_CONFIG"] = cfg

    def berth(*args, input=None, check=True):
        p = subprocess.run([os.path.join(os.path.dirname(daemon.proc.args[0]), "berth"), *args], env=env_daemon_berth,
                           input=input, capture_output=True, text=True, timeout=60)
        assert not check or p.returncode == 0, (args, p.stdout, p.stderr)
        return p
    r = berth("pull", f"{reg.addr}/team/app:1", check=False)
    assert r.returncode == 1 and "no basic auth credentials" in r.stderr
    r = berth("login", "-u", "tester", "--password-stdin", reg.addr, input="wrong\n", check=False)
    assert r.returncode == 1 and "401 Unauthorized" in r.stderr and not os.path.exists(os.path.join(cfg, "config.json"))
    assert berth("login", "-u", "tester", "--password-stdin", reg.addr, input="s3cret-pw\n").stdout == "Login Succeeded\n"
    stored = json.load(open(os.path.join(cfg, "config.json")))
    assert list(stored["auths"]) == [reg.addr] and oct(os.stat(os.path.join(cfg, "config.json")).st_mode & 0o777) == "0o600"
    assert berth("pull", f"{reg.addr}/team/app:1").stdout.splitlines()[-1] == f"{reg.addr}/team/app:1"
    berth("tag", f"{reg.addr}/team/app:1", f"{reg.addr}/team/app:2")
    assert ": digest: sha256:" in berth("push", f"{reg.addr}/team/app:2").stdout
    assert berth("logout", reg.addr).stdout == f"Removing login credentials for {reg.addr}\n"
    r = berth("push", f"{reg.addr}/team/app:2", check=False)
    assert r.returncode == 1 and "no basic auth credentials" in r.stderr
    # berthd kept nothing of the password: it is in the client's config only (and now not even there).
    assert b"s3cret-pw" not in open(os.path.join(daemon.root, "berth.db"), "rb").read()


def test_docker_cli_logs_in_and_pushes_through_berthd(daemon, private_registry, images, workdir):
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg2"))
    p = subprocess.run(["docker", "login", "-u", "tester", "--password-stdin", private_registry.addr], env=env,
                       input="s3cret-pw\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "Login Succeeded" in p.stdout, p.stderr
    # docker push sends the stored credentials as X-Registry-Auth; the image pulls back.
    daemon.berth("load", "-i", images["bb-docker.tar"])
    name = f"{private_registry.addr}/cli/pushed:1"
    daemon.berth("tag", "busybox", name)
    p = subprocess.run(["docker", "push", name], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "1: digest: sha256:" in p.stdout, (p.stdout, p.stderr)
    daemon.berth("rmi", name)
    p = subprocess.run(["docker", "pull", name], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "Downloaded newer image" in p.stdout, p.stderr
    p = subprocess.run(["docker", "login", "-u", "tester", "--password-stdin", private_registry.addr], env=env,
                       input="nope\n", capture_output=True, text=True, timeout=60)
    assert p.returncode != 0


def test_a_cut_download_the_registry_will_not_resume_starts_over(daemon, registry, images):
    """A registry that answers a Range request with the whole blob (200): the download starts
    over, the layer's follower gives up on it, and the layer is unpacked from the finished file."""
    registry.push(images["bb-docker.tar"], "whole/busybox:1")
    proxy = RegistryProxy(registry.addr, flaky=True, ranges=False)
    try:
        r = daemon.berth("pull", f"{proxy.addr}/whole/busybox:1")
        assert "Status: Downloaded newer image" in r.out
        # berth asked to resume once; the proxy kept the Range from the registry, which sent it all
        assert len([r for _, r in proxy.ranges if r]) == 1, proxy.ranges
        cut = [p for p in proxy.paths() if "/blobs/" in p]
        assert len(cut) >= 2 * len(set(cut)) + 1, cut  # the cut blob fetched whole a third time
        # no layer work folder left in berthd's tmp
        assert os.listdir(os.path.join(daemon.root, "tmp")) == []
        assert daemon.berth("run", "--rm", f"{proxy.addr}/whole/busybox:1", "cat", "/etc/hostname").returncode == 0
    finally:
        proxy.stop()
    daemon.assert_consistent()


def test_pull_retries_failed_and_cut_downloads_with_streamed_progress(daemon, registry, images):
    registry.push(images["bb-docker.tar"], "flaky/busybox:1")
    proxy = RegistryProxy(registry.addr, flaky=True)
    strays = set(glob.glob("/tmp/*.tmp"))
    try:
        r = daemon.berth("pull", f"{proxy.addr}/flaky/busybox:1")
        assert "Pull complete" in r.out and "Status: Downloaded newer image" in r.out
        blob_gets = [p for m, p in proxy.hits if m == "GET" and "/blobs/" in p]
        # every blob asked again after its 503, the cut one a third time: resumed where the
        # cut left it (a Range request from the bytes it had), not fetched again whole
        assert len(blob_gets) >= 2 * len(set(blob_gets)) + 1, blob_gets
        resumed = [(p, r) for p, r in proxy.ranges if r]
        assert len(resumed) == 1, proxy.ranges
        path, rng = resumed[0]
        size = int(daemon.rows("SELECT size FROM blobs WHERE digest = ?", path.rsplit("/", 1)[1])[0][0])
        # (the cut may lose what was in flight: at most the half the proxy sent)
        assert rng.startswith("bytes=") and rng.endswith("-") and 0 < int(rng[6:-1]) <= size // 2, (rng, size)
        assert daemon.berth("run", "--rm", f"{proxy.addr}/flaky/busybox:1", "echo", "ok").out == "ok\n"
        # the API streams: Docker's messages, one JSON object per line, status 200
        daemon.berth("rmi", f"{proxy.addr}/flaky/busybox:1")
        status, headers, body = daemon.request("POST", f"/images/create?fromImage={proxy.addr}/flaky/busybox&tag=1")
        assert status == 200 and headers.get("transfer-encoding") == "chunked"
        msgs = [json.loads(l) for l in body.decode().splitlines() if l.strip()]
        assert msgs[0]["status"] == "Pulling from flaky/busybox" and msgs[-1]["status"].startswith("Status: ")
        assert any(m.get("status") == "Pulling fs layer" for m in msgs)
        # an unknown name fails before the stream: an error status, as Docker's
        status, _, body = daemon.request("POST", f"/images/create?fromImage={registry.addr}/nope&tag=1")
        assert status == 404, body
        # the cut download's file stayed in berthd's own tmp (emptied at its start), not /tmp
        assert set(glob.glob("/tmp/*.tmp")) - strays == set()
    finally:
        proxy.stop()
    daemon.assert_consistent()


def test_run_pull_policies_and_platform(daemon, registry, images):
    registry.push(images["bb-docker.tar"], "policy/busybox:1")
    name = f"{registry.addr}/policy/busybox:1"
    r = daemon.berth("run", "--rm", "--pull", "never", name, "true", check=False)
    assert r.returncode == 125 and "No such image" in r.err
    r = daemon.berth("run", "--rm", "--pull", "sometimes", name, "true", check=False)
    assert r.returncode == 125 and "invalid pull option" in r.err
    daemon.berth("run", "--rm", name, "true")  # missing: pulled
    pulls = daemon.rows("SELECT count(*) FROM pulls")[0][0]
    daemon.berth("run", "--rm", name, "true")  # present: not pulled again
    assert daemon.rows("SELECT count(*) FROM pulls")[0][0] == pulls
    r = daemon.berth("run", "--rm", "--pull", "always", name, "true")
    assert "Image is up to date" in r.err
    assert daemon.rows("SELECT count(*) FROM pulls")[0][0] == pulls + 1
    # a platform the image does not have is refused by name; a bad one is refused as such
    r = daemon.berth("pull", "--platform", "linux/s390x", name, check=False)
    assert r.returncode == 1 and ("s390x" in r.err or "platform" in r.err), r.err
    r = daemon.berth("pull", "--platform", "nonsense", name, check=False)
    assert r.returncode == 1 and "invalid platform" in r.err


def test_pull_all_tags(daemon, registry, images):
    for tag in ("1", "2", "edge"):
        registry.push(images["bb-docker.tar"], f"many/busybox:{tag}")
    r = daemon.berth("pull", "-a", f"{registry.addr}/many/busybox")
    assert r.out.count("Status: ") == 3
    tags = sorted(l.split()[1] for l in daemon.berth("images", f"{registry.addr}/many/busybox").out.splitlines()[1:])
    assert tags == ["1", "2", "edge"]
    r = daemon.berth("pull", "-a", f"{registry.addr}/many/busybox:1", check=False)
    assert r.returncode == 1 and "tag can't be used with --all-tags/-a" in r.err
    r = daemon.berth("pull", "-a", f"{registry.addr}/nothing/here", check=False)
    assert r.returncode != 0


def test_registry_mirror_serves_docker_hub_names(make_daemon, registry, images, workdir):
    # No internet here: a Hub name pulls only if a mirror serves it. The first mirror is down
    # (a port nothing listens on), the second holds library/busybox.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    registry.push(images["bb-docker.tar"], "library/busybox:latest")
    d = make_daemon()
    d.args = ["--registry-mirror", f"http://127.0.0.1:{dead}", "--registry-mirror", f"http://{registry.addr}"]
    d.start()
    p = d.berth("pull", "busybox")
    assert "Status: Downloaded newer image for busybox:latest" in p.out
    assert d.rows("SELECT registry, outcome FROM pulls") == [(registry.addr, "downloaded")]
    assert d.berth("images", "--format", "{{.Repository}}:{{.Tag}}").out.split() == ["busybox:latest"]
    assert d.berth("run", "--rm", "busybox", "echo", "from-mirror").out == "from-mirror\n"
    info = json.loads(d.request("GET", "/info")[2])
    assert info["RegistryConfig"]["Mirrors"] == [f"http://127.0.0.1:{dead}/", f"http://{registry.addr}/"]
    # Names of other registries never go to a mirror.
    r = d.berth("pull", f"127.0.0.1:{dead}/library/busybox", check=False)
    assert r.returncode != 0
    d.berth("rmi", "busybox")
    d2 = make_daemon("bad")
    d2.args = ["--registry-mirror", "ftp://x"]
    d2.start(wait=False)
    assert d2.proc.wait(20) != 0 and "invalid --registry-mirror" in d2.read_log()


def test_config_file_sets_registries_as_daemon_json(make_daemon, registry, images, workdir):
    registry.push(images["bb-docker.tar"], "library/busybox:latest")
    cfg = os.path.join(workdir, "daemon.json")
    with open(cfg, "w") as f:
        json.dump({"registry-mirrors": [f"http://{registry.addr}"], "insecure-registries": ["reg.example:5000"]}, f)
    d = make_daemon()
    d.args = ["--config-file", cfg]
    d.start()
    assert "Status: Downloaded newer image for busybox:latest" in d.berth("pull", "busybox").out
    info = json.loads(d.request("GET", "/info")[2])
    assert info["RegistryConfig"]["Mirrors"] == [f"http://{registry.addr}/"]
    assert "reg.example:5000" in json.dumps(info["RegistryConfig"])
    # dockerd's refusals: an unknown directive, one given twice, a file that is not JSON or not there
    for n, (content, args, msg) in enumerate((
            ('{"bogus": 1}', [], "don't match any configuration option: bogus"),
            ('{"registry-mirrors": []}', ["--registry-mirror", "http://x"],
             "specified both as a flag and in the configuration file: registry-mirrors"),
            ("{not json", [], "unable to configure the daemon with file"),
            (None, [], "cannot be read"))):
        bad = os.path.join(workdir, f"bad{n}.json")
        if content is not None:
            open(bad, "w").write(content)
        b = make_daemon(f"bad{n}")
        b.args = ["--config-file", bad, *args]
        b.start(wait=False)
        assert b.proc.wait(20) != 0 and msg in b.read_log(), b.read_log()


HELPER = r'''#!/usr/bin/env python3
# A docker-credential helper keeping its secrets in one JSON file (the protocol's three verbs).
import json, os, sys
path = os.environ["BERTH_TEST_KEYCHAIN"]
store = json.load(open(path)) if os.path.exists(path) else {}
verb, data = sys.argv[1], sys.stdin.read()
if verb == "store":
    c = json.loads(data)
    store[c["ServerURL"]] = {"Username": c["Username"], "Secret": c["Secret"]}
elif verb == "get":
    c = store.get(data.strip())
    if c is None:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": data.strip(), **c}))
elif verb == "erase":
    if store.pop(data.strip(), None) is None:
        print("credentials not found in native keychain")
        sys.exit(1)
json.dump(store, open(path, "w"))
'''


def test_login_through_a_credential_helper(daemon, private_registry, images, workdir):
    reg = private_registry
    reg.push(images["bb-docker.tar"], "team/app:1")
    bindir, cfg = os.path.join(workdir, "helpers"), os.path.join(workdir, "dockercfg-helper")
    os.makedirs(bindir)
    os.makedirs(cfg)
    helper = os.path.join(bindir, "docker-credential-berthtest")
    open(helper, "w").write(HELPER)
    os.chmod(helper, 0o755)
    keychain = os.path.join(workdir, "keychain.json")
    json.dump({"credsStore": "berthtest"}, open(os.path.join(cfg, "config.json"), "w"))
    env = dict(daemon.env, DOCKER_CONFIG=cfg, BERTH_TEST_KEYCHAIN=keychain, PATH=bindir + ":" + os.environ["PATH"])

    def berth(*args, input=None, check=True):
        p = subprocess.run([os.path.join(os.path.dirname(daemon.proc.args[0]), "berth"), *args], env=env,
                           input=input, capture_output=True, text=True, timeout=60)
        assert not check or p.returncode == 0, (args, p.stdout, p.stderr)
        return p
    assert berth("login", "-u", "tester", "--password-stdin", reg.addr, input="s3cret-pw\n").stdout == "Login Succeeded\n"
    # The secret is in the helper's keychain; config.json only names the registry.
    assert json.load(open(keychain)) == {reg.addr: {"Username": "tester", "Secret": "s3cret-pw"}}
    stored = json.load(open(os.path.join(cfg, "config.json")))
    assert stored["auths"] == {reg.addr: {}} and stored["credsStore"] == "berthtest"
    assert "s3cret-pw" not in open(os.path.join(cfg, "config.json")).read()
    assert berth("pull", f"{reg.addr}/team/app:1").stdout.splitlines()[-1] == f"{reg.addr}/team/app:1"
    berth("logout", reg.addr)
    assert json.load(open(keychain)) == {}
    r = berth("pull", f"{reg.addr}/team/app:1", check=False)
    assert r.returncode == 1 and "no basic auth credentials" in r.stderr
    # A per-registry helper that is not installed: a clear error, nothing stored.
    json.dump({"credHelpers": {reg.addr: "missing"}}, open(os.path.join(cfg, "config.json"), "w"))
    r = berth("login", "-u", "tester", "--password-stdin", reg.addr, input="s3cret-pw\n", check=False)
    assert r.returncode != 0 and "docker-credential-missing not found" in r.stderr


def two_layer_image(bb, registry, workdir, repo):
    """An image of busybox's layer and a 400 kB one from a RUN, pushed; returns (name, layer digests)."""
    ctx = os.path.join(workdir, "ctx-" + repo.replace("/", "-"))
    os.makedirs(ctx)
    open(os.path.join(ctx, "Dockerfile"), "w").write("FROM busybox\nRUN head -c 400000 /dev/urandom > /big\n")
    name = f"{registry.addr}/{repo}:1"
    bb.berth("build", "-q", "-t", name, ctx)
    bb.berth("push", name)
    c = http.client.HTTPConnection("127.0.0.1", registry.port, timeout=10)
    c.request("GET", f"/v2/{repo}/manifests/1", headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    return name, [l["digest"] for l in json.loads(c.getresponse().read())["layers"]]


def test_kill_9_mid_pull_keeps_nothing_but_verified_blobs(bb, make_daemon, registry, workdir):
    _, layers = two_layer_image(bb, registry, workdir, "two/layers")
    first, second = layers[0], layers[-1]  # busybox's first layer; the RUN's
    proxy = RegistryProxy(registry.addr, gated=second)
    d = make_daemon("puller")
    d.start()
    try:
        via = f"{proxy.addr}/two/layers:1"
        p = subprocess.Popen([os.path.join(BIN, "berth"), "pull", via], env=d.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        assert proxy.blocked.wait(30)
        # the first layer verified (kept for the next pull), the second held halfway
        assert wait_until(lambda: os.path.exists(os.path.join(d.root, "downloads", first[7:])), 20)
        # layers are unpacked as they arrive: the first is unpacked while the second is held
        assert wait_until(lambda: glob.glob(os.path.join(d.root, "tmp", "layer*", "diff", "bin", "busybox")) != [], 20)
        strays = set(glob.glob("/tmp/*.tmp"))
        d.kill9()
        p.wait(30)
        proxy.release.set()
        d.start()
        assert set(glob.glob("/tmp/*.tmp")) - strays == set()
        assert d.rows("SELECT count(*) FROM images") == [(0,)] and d.rows("SELECT count(*) FROM blobs") == [(0,)]
        d.assert_consistent()
        assert os.listdir(os.path.join(d.root, "tmp")) == []
        kept = os.listdir(os.path.join(d.root, "downloads"))
        assert first[7:] in kept and second[7:] not in kept
        # The next pull takes the verified layer from there and fetches only the rest.
        before = [h for h in proxy.paths() if h.endswith(first)]
        out = d.berth("pull", via).out
        assert [h for h in proxy.paths() if h.endswith(first)] == before
        assert f"{first[7:19]}: Already exists" in out and f"{second[7:19]}: Pull complete" in out
        assert d.berth("run", "--rm", via, "sh", "-c", "wc -c < /big").out.strip() == "400000"
        assert os.listdir(os.path.join(d.root, "downloads")) == []
        d.assert_consistent()
    finally:
        proxy.stop()


def test_a_pull_stops_when_its_last_client_goes(bb, make_daemon, registry, workdir):
    _, layers = two_layer_image(bb, registry, workdir, "drip/app")
    first, second = layers[0], layers[-1]
    d = make_daemon("cancel")
    d.start()
    pull = [os.path.join(BIN, "berth"), "pull"]
    # One client of two killed: the pull it shared goes on for the other, which gets the image.
    proxy = RegistryProxy(registry.addr, gated=second, cut=False)
    try:
        via = f"{proxy.addr}/drip/app:1"
        a = subprocess.Popen(pull + [via], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proxy.blocked.wait(30)
        b = subprocess.Popen(pull + [via], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert wait_until(lambda: len([p for p in proxy.paths() if "/manifests/" in p]) >= 2, 20)
        time.sleep(0.3)
        a.kill()
        a.wait(10)
        # A's download of the held layer ends (berthd closes its connection to the registry) …
        assert proxy.dropped.wait(10)
        # … and B fetches it itself.
        assert b.wait(60) == 0, b.stderr.read()
        assert d.berth("run", "--rm", via, "sh", "-c", "wc -c < /big").out.strip() == "400000"
        assert sorted(o for (o,) in d.rows("SELECT outcome FROM pulls")) == ["cancelled", "downloaded"]
        d.berth("rmi", via)
    finally:
        proxy.stop()
    # The only client killed: the download stops at once, its partial file goes, nothing is
    # recorded but the pull, as cancelled.
    proxy = RegistryProxy(registry.addr, gated=second, cut=False)
    try:
        via = f"{proxy.addr}/drip/app:1"
        c = subprocess.Popen(pull + [via], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proxy.blocked.wait(30)
        assert glob.glob(os.path.join(d.root, "tmp", "pull*", second[7:])) != []
        c.kill()
        c.wait(10)
        assert proxy.dropped.wait(10)
        assert wait_until(lambda: d.rows("SELECT count(*) FROM pulls WHERE outcome = 'cancelled'") == [(2,)], 10)
        assert glob.glob(os.path.join(d.root, "tmp", "pull*")) == []
        assert d.rows("SELECT count(*) FROM images") == [(0,)]
        assert second[7:] not in os.listdir(os.path.join(d.root, "downloads"))
        d.assert_consistent()
        # berthd serves on.
        assert d.berth("version").returncode == 0
    finally:
        proxy.stop()
    # Gone before the first line (the registry slow to send the manifest): stopped too.
    proxy = RegistryProxy(registry.addr, hold_manifest=True)
    try:
        c = subprocess.Popen(pull + [f"{proxy.addr}/drip/app:1"], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proxy.blocked.wait(30)
        c.kill()
        c.wait(10)
        assert proxy.dropped.wait(10)
        assert wait_until(lambda: d.rows("SELECT count(*) FROM pulls WHERE outcome = 'cancelled'") == [(3,)], 10)
        assert glob.glob(os.path.join(d.root, "tmp", "pull*")) == [] and d.rows("SELECT count(*) FROM images") == [(0,)]
    finally:
        proxy.stop()


def test_two_pulls_at_once_fetch_a_shared_layer_once(bb, make_daemon, registry, workdir):
    for tag, size in (("a", 1000), ("b", 2000)):
        ctx = os.path.join(workdir, "ctx-" + tag)
        os.makedirs(ctx)
        open(os.path.join(ctx, "Dockerfile"), "w").write(f"FROM busybox\nRUN head -c {size} /dev/urandom > /f\n")
        bb.berth("build", "-q", "-t", f"{registry.addr}/shared/{tag}:1", ctx)
        bb.berth("push", f"{registry.addr}/shared/{tag}:1")
    c = http.client.HTTPConnection("127.0.0.1", registry.port, timeout=10)
    c.request("GET", "/v2/shared/a/manifests/1", headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    base = json.loads(c.getresponse().read())["layers"][0]["digest"]
    proxy = RegistryProxy(registry.addr, gated=base, cut=False)
    d = make_daemon("two")
    d.start()
    try:
        pulls = []
        p = subprocess.Popen([os.path.join(BIN, "berth"), "pull", f"{proxy.addr}/shared/a:1"], env=d.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        pulls.append(p)
        assert proxy.blocked.wait(30)  # the first pull is fetching the base layer
        p = subprocess.Popen([os.path.join(BIN, "berth"), "pull", f"{proxy.addr}/shared/b:1"], env=d.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        pulls.append(p)
        # the second pull got as far as its own layer: it wants the base layer too
        assert wait_until(lambda: len([h for h in proxy.paths() if "/shared/b/blobs/" in h]) >= 2, 20)
        time.sleep(0.3)
        proxy.release.set()
        for p in pulls:
            assert p.wait(60) == 0, p.stderr.read()
        assert len([h for h in proxy.paths() if h.endswith(base)]) == 1, proxy.hits
        for tag in ("a", "b"):
            assert d.berth("run", "--rm", f"{proxy.addr}/shared/{tag}:1", "true").returncode == 0
        assert os.listdir(os.path.join(d.root, "downloads")) == []
        d.assert_consistent()
    finally:
        proxy.stop()


def test_push_mounts_blobs_from_another_repository(bb, registry):
    one, two = f"{registry.addr}/one/base:1", f"{registry.addr}/two/app:1"
    bb.berth("tag", "busybox", one)
    first = bb.berth("push", one).out.splitlines()
    assert all(l.endswith(": Pushed") for l in first[1:-1])
    # The same layers to another repository of the registry: mounted (POST …?mount=&from=), not sent.
    bb.berth("tag", "busybox", two)
    second = bb.berth("push", two).out.splitlines()
    assert second[1:-1] and all(l.endswith(": Mounted from one/base") for l in second[1:-1]), second
    assert second[-1].split()[2] == first[-1].split()[2]  # the same manifest digest
    p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{two}"], capture_output=True, text=True, check=True)
    assert json.loads(p.stdout)["Digest"] == second[-1].split()[2]
    assert bb.rows("SELECT DISTINCT repository FROM blob_sources ORDER BY 1") == [("one/base",), ("two/app",)]
    bb.berth("rmi", one, two, "busybox")
    assert bb.berth("run", "--rm", two, "echo", "mounted").out == "mounted\n"


def test_push_sends_big_layers_in_chunks(bb, registry, workdir):
    ctx = os.path.join(workdir, "big")
    os.makedirs(ctx)
    open(os.path.join(ctx, "Dockerfile"), "w").write("FROM busybox\nRUN head -c 20000000 /dev/urandom > /big\n")
    proxy = RegistryProxy(registry.addr)
    try:
        name = f"{proxy.addr}/chunked/app:1"
        bb.berth("build", "-q", "-t", name, ctx)
        out = bb.berth("push", name).out.splitlines()
        digest = out[-1].split()[2]
        patches = [h for h in proxy.hits if h[0] == "PATCH"]
        puts = [h for h in proxy.hits if h[0] == "PUT" and "/blobs/uploads/" in h[1]]
        # the 20 MB layer in 8 MiB PATCHes (3), the small blobs in one PUT each
        assert len(patches) == 3 and len(puts) == len(out) - 2 + 1, proxy.hits
    finally:
        proxy.stop()
    direct = f"{registry.addr}/chunked/app:1"
    p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{direct}"], capture_output=True, text=True, check=True)
    assert json.loads(p.stdout)["Digest"] == digest
    bb.berth("rmi", name)
    assert bb.berth("run", "--rm", direct, "sh", "-c", "wc -c < /big").out.strip() == "20000000"


def test_multi_platform_index_picks_the_hosts_image(daemon, registry, images, workdir):
    import hashlib
    import platform
    lay = os.path.join(workdir, "multi")
    shutil.copytree(images["bb-oci"], lay)
    blobs = os.path.join(lay, "blobs", "sha256")

    def read(d):
        return open(os.path.join(blobs, d[7:]), "rb").read()

    def put(data):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        open(os.path.join(blobs, d[7:]), "wb").write(data)
        return d, len(data)
    desc = json.load(open(os.path.join(lay, "index.json")))["manifests"][0]
    man = json.loads(read(desc["digest"]))
    here = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    other = "arm64" if here != "arm64" else "amd64"
    cfg = dict(json.loads(read(man["config"]["digest"])), architecture=other)
    cdig, csize = put(json.dumps(cfg).encode())
    mdig, msize = put(json.dumps(dict(man, config=dict(man["config"], digest=cdig, size=csize))).encode())
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": desc["mediaType"], "digest": mdig, "size": msize, "platform": {"os": "linux", "architecture": other}},
        {"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"], "platform": {"os": "linux", "architecture": here}},
    ]}
    idig, isize = put(json.dumps(index).encode())
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": index["mediaType"], "digest": idig, "size": isize,
                                                  "annotations": {"org.opencontainers.image.ref.name": "multi"}}]},
              open(os.path.join(lay, "index.json"), "w"))
    subprocess.run(["skopeo", "copy", "-q", "--all", "--dest-tls-verify=false", f"oci:{lay}:multi",
                    f"docker://{registry.addr}/multi/bb:1"], check=True, capture_output=True)
    name = f"{registry.addr}/multi/bb:1"
    out = daemon.berth("pull", name).out
    assert f"Digest: {idig}" in out  # the index's digest, as Docker reports it
    insp = json.loads(daemon.berth("image", "inspect", name).out)[0]
    assert insp["Architecture"] == here and f"{registry.addr}/multi/bb@{idig}" in insp["RepoDigests"]
    assert daemon.berth("run", "--rm", name, "echo", "native").out == "native\n"
    # --platform picks the other entry (fetched, not run), a missing platform is refused by name
    daemon.berth("pull", "--platform", f"linux/{other}", name)
    assert json.loads(daemon.berth("image", "inspect", name).out)[0]["Architecture"] == other
    r = daemon.berth("pull", "--platform", "linux/s390x", name, check=False)
    assert r.returncode == 1 and "s390x" in r.err
    daemon.assert_consistent()


def skopeo_raw(name):
    p = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{name}"], capture_output=True, check=True)
    return p.stdout


def test_push_sends_what_docker_sends(daemon, registry, images, workdir):
    bb = daemon
    # A pulled image, tagged and pushed unchanged, keeps its manifest bytes and so its digest.
    registry.push(images["bb-docker.tar"], "src/bb:1")
    src = f"{registry.addr}/src/bb:1"
    raw = skopeo_raw(src)
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    bb.berth("pull", "-q", src)
    dst = f"{registry.addr}/dst/bb:1"
    bb.berth("tag", src, dst)
    out = bb.berth("push", dst).out.splitlines()
    assert out[-1].split()[2] == digest
    assert skopeo_raw(dst) == raw
    # A layer made here goes up gzip-compressed, once: the next push only asks (HEAD).
    ctx = os.path.join(workdir, "ctx")
    os.makedirs(ctx)
    open(os.path.join(ctx, "Dockerfile"), "w").write(f"FROM {src}\nRUN yes berth | head -c 4000000 > /big\n")
    app = f"{registry.addr}/built/app:1"
    bb.berth("build", "-q", "-t", app, ctx)
    first = bb.berth("push", app).out.splitlines()
    m = json.loads(skopeo_raw(app))
    assert m["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert {l["mediaType"] for l in m["layers"]} == {"application/vnd.docker.image.rootfs.diff.tar.gzip"}
    top = m["layers"][-1]
    assert top["size"] < 100_000  # 4 MB of text, compressed
    blob = os.path.join(registry.storage, "docker/registry/v2/blobs/sha256", top["digest"][7:9], top["digest"][7:], "data")
    assert os.path.getsize(blob) == top["size"]
    again = bb.berth("push", app).out.splitlines()
    assert all(l.endswith(": Layer already exists") for l in again[1:-1]) and again[-1] == first[-1]
    # To a new repository: the recorded compressed layer is made again, with the same digest.
    other = f"{registry.addr}/elsewhere/app:1"
    bb.berth("tag", app, other)
    assert bb.berth("push", other).out.splitlines()[-1].split()[2] == first[-1].split()[2]
    assert [d for d in os.listdir(os.path.join(bb.root, "tmp")) if d.startswith("push")] == []
    bb.berth("rmi", app, other)
    assert bb.berth("run", "--rm", app, "sh", "-c", "wc -c < /big").out.strip() == "4000000"
    bb.assert_consistent()


def test_push_keeps_oci_types(daemon, registry, images):
    # An OCI layout's image goes up with OCI's types, its gzip layers as they are.
    daemon.berth("load", "-i", images["bb-oci.tar"])
    oci = f"{registry.addr}/oci/bb:1"
    daemon.berth("tag", "busybox:latest", oci)
    daemon.berth("push", oci)
    m = json.loads(skopeo_raw(oci))
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert {l["mediaType"] for l in m["layers"]} == {"application/vnd.oci.image.layer.v1.tar+gzip"}


def test_push_compresses_plain_layers_once(daemon, registry, images, workdir):
    # A docker-archive holds plain tars: they go up gzip-compressed, and what was compressed
    # is recorded, so pushing again only asks the registry.
    daemon.berth("load", "-i", images["bb-docker.tar"])
    plain = [t for (t,) in daemon.rows("SELECT DISTINCT media_type FROM image_layers")]
    assert plain == ["application/vnd.docker.image.rootfs.diff.tar"]
    name = f"{registry.addr}/plain/bb:1"
    daemon.berth("tag", "busybox", name)
    first = daemon.berth("push", name).out.splitlines()
    m = json.loads(skopeo_raw(name))
    assert {l["mediaType"] for l in m["layers"]} == {"application/vnd.docker.image.rootfs.diff.tar.gzip"}
    sent = sum(l["size"] for l in m["layers"])
    tars = sum(os.path.getsize(os.path.join(daemon.root, "blobs", "sha256", d[7:])) for (d,) in daemon.rows("SELECT blob_digest FROM image_layers"))
    assert sent < tars / 1.5, (sent, tars)
    rows = sorted(d for (d,) in daemon.rows("SELECT digest FROM compressed_layers"))
    assert rows == sorted(l["digest"] for l in m["layers"])
    again = daemon.berth("push", name).out.splitlines()
    assert all(l.endswith(": Layer already exists") for l in again[1:-1]) and again[-1] == first[-1]
    # skopeo reads it back as an image (its layers decompress to the config's diff ids).
    out = os.path.join(workdir, "copy")
    subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{name}", f"dir:{out}"], check=True, capture_output=True)
    assert [d for d in os.listdir(os.path.join(daemon.root, "tmp")) if d.startswith("push")] == []


def test_a_manifest_over_the_limit_is_refused_in_words(daemon):
    import http.server
    import threading

    class Huge(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/v2/":
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                return
            size = 65 << 20
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(65):
                    self.wfile.write(chunk)
            except OSError:
                pass

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        r = daemon.berth("pull", f"127.0.0.1:{server.server_address[1]}/huge:1", check=False)
        assert r.returncode == 1 and "larger than 64 MiB" in r.err and "NIOTooManyBytes" not in r.err, r.err
    finally:
        server.shutdown()
        server.server_close()


def put_image(registry, name, tag, config, layers):
    """Uploads blobs and a schema 2 manifest straight to the registry (no client checks)."""
    def blob(data):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        c = http.client.HTTPConnection("127.0.0.1", registry.port, timeout=10)
        c.request("POST", f"/v2/{name}/blobs/uploads/")
        r = c.getresponse(); r.read()
        loc = r.getheader("Location")
        loc = loc[loc.index("/v2/"):] if "://" in loc else loc
        c.request("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, body=data,
                  headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse(); r.read()
        assert r.status == 201, r.status
        return {"digest": d, "size": len(data)}
    cfg = dict(blob(config), mediaType="application/vnd.docker.container.image.v1+json")
    ls = [dict(blob(l), mediaType="application/vnd.docker.image.rootfs.diff.tar") for l in layers]
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": cfg, "layers": ls}).encode()
    c = http.client.HTTPConnection("127.0.0.1", registry.port, timeout=10)
    c.request("PUT", f"/v2/{name}/manifests/{tag}", body=m,
              headers={"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status


def test_a_rejected_layer_leaves_no_download_behind(daemon, registry):
    # The blob matches its digest, but not the diff id the config names: verified, then rejected.
    from archives import entry, layer
    import tarfile
    good = layer(lambda t: (entry(t, "etc/", kind=tarfile.DIRTYPE), entry(t, "etc/ok", b"fine")))
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
    put_image(registry, "wrong", "1", config, [good])
    r = daemon.berth("pull", f"{registry.addr}/wrong:1", check=False)
    assert r.returncode == 1 and "diff id" in r.err, r.err
    downloads = os.path.join(daemon.root, "downloads")
    assert not os.path.isdir(downloads) or os.listdir(downloads) == []
    assert daemon.rows("SELECT count(*) FROM blobs") == [(0,)]


def test_distribution_inspect_asks_the_registry(daemon, registry, images):
    docker = pytest.importorskip("docker")
    registry.push(images["bb-docker.tar"], "dist/bb:1")
    raw = skopeo_raw(f"{registry.addr}/dist/bb:1")
    api = docker.APIClient(base_url="unix://" + daemon.sock, version="1.43")
    d = api.inspect_distribution(f"{registry.addr}/dist/bb:1")
    assert d["Descriptor"] == {"mediaType": json.loads(raw)["mediaType"], "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
                               "size": len(raw)}
    cfg = json.loads(subprocess.run(["skopeo", "inspect", "--config", "--tls-verify=false", f"docker://{registry.addr}/dist/bb:1"],
                                    capture_output=True, check=True).stdout)
    assert [(p["os"], p["architecture"]) for p in d["Platforms"]] == [(cfg["os"], cfg["architecture"])]
    assert daemon.rows("SELECT count(*) FROM images") == [(0,)]  # nothing pulled
    with pytest.raises(docker.errors.NotFound):
        api.inspect_distribution(f"{registry.addr}/dist/none:1")
