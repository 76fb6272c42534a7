"""`berth compose` on real parts: a web service reaching a database service by name behind a
healthcheck-gated depends_on, a named volume that outlives `down`, an env file, a build, a
profile, a scale of 3, convergent `up`, and the same project run by docker-compose v1."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BIN, needs_root, next_network, wait_until
from test_network import assert_no_network_left, free_port, reachable

pytestmark = needs_root

COMPOSE = """
name: shop
x-bb: &bb
  image: busybox
services:
  db:
    <<: *bb
    command: sh -c "echo 'db ready' > /data/state; exec httpd -f -p 5432 -h /data"
    volumes: ["dbdata:/data"]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/state"]
      interval: 1s
  web:
    <<: *bb
    command: ["sh", "-c", "mkdir -p /www && wget -q -O /www/state http://db:5432/state && echo $$MODE > /www/mode && exec httpd -f -p 80 -h /www"]
    env_file: web.env
    ports: ["127.0.0.1:${WEB_PORT}:80"]
    depends_on:
      db: {condition: service_healthy}
  worker:
    <<: *bb
    command: ["sh", "-c", "exec sleep 100000"]
    deploy: {replicas: 3}
    labels: {role: worker}
  built:
    build: {context: ./app, args: {GREETING: hello}}
    command: ["cat", "/greeting"]
    volumes: ["./made/here:/made"]
  debug:
    <<: *bb
    profiles: [debug]
    command: ["true"]
networks:
  default:
    ipam: {config: [{subnet: "SUBNET"}]}
volumes:
  dbdata: {}
"""


@pytest.fixture
def proj(bb, workdir):
    d = bb
    p = os.path.join(workdir, "shop")
    os.makedirs(os.path.join(p, "app"))
    port = free_port()
    with open(os.path.join(p, "compose.yaml"), "w") as f:
        f.write(COMPOSE.replace("SUBNET", next_network()[1]))
    with open(os.path.join(p, "web.env"), "w") as f:
        f.write("MODE=from-env-file\n")
    with open(os.path.join(p, ".env"), "w") as f:
        f.write(f"WEB_PORT={port}\n")
    with open(os.path.join(p, "app", "Dockerfile"), "w") as f:
        f.write("FROM busybox\nARG GREETING\nRUN echo \"$GREETING from build\" > /greeting\n")

    def compose(*args, check=True, timeout=180):
        r = subprocess.run([os.path.join(BIN, "berth"), "compose", *args], cwd=p, env=d.env, capture_output=True, text=True, timeout=timeout)
        assert not check or r.returncode == 0, (args, r.stdout, r.stderr, d.read_log()[-3000:])
        return r
    d.compose, d.proj, d.port = compose, p, port
    yield d
    compose("down", "-v", check=False)


def ids(d):
    return {n: i for n, i in (l.split() for l in d.berth("ps", "-a", "--format", "{{.Names}} {{.ID}}").out.splitlines())}


def test_up_reaches_db_by_name_and_converges(proj):
    d = proj
    d.compose("up", "-d")
    # web started only once db was healthy, fetched db's state by name, read its env file.
    assert wait_until(lambda: reachable(d.port, "/state") is not None, 30)
    assert reachable(d.port, "/state") == "db ready\n"
    assert reachable(d.port, "/mode") == "from-env-file\n"
    names = set(ids(d))
    assert names == {"shop-db-1", "shop-web-1", "shop-worker-1", "shop-worker-2", "shop-worker-3", "shop-built-1"}
    assert wait_until(lambda: "hello from build" in d.berth("logs", "shop-built-1").out, 20)
    # A short-syntax bind whose folder is missing gets it made, as docker compose does.
    assert os.path.isdir(os.path.join(d.proj, "made", "here"))
    labels = json.loads(d.berth("inspect", "shop-worker-2").out)[0]["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == "shop" and labels["com.docker.compose.service"] == "worker"
    assert labels["com.docker.compose.container-number"] == "2" and labels["com.docker.compose.oneoff"] == "False"
    assert labels["role"] == "worker" and len(labels["com.docker.compose.config-hash"]) == 64
    assert "shop_default" in d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    # A second up with nothing changed touches nothing.
    before = ids(d)
    out = d.compose("up", "-d").stderr
    assert ids(d) == before and "Created" not in out
    # A changed service is recreated, the others are left running.
    with open(os.path.join(d.proj, "web.env"), "w") as f:
        f.write("MODE=changed\n")
    d.compose("up", "-d")
    after = ids(d)
    assert after["shop-web-1"] != before["shop-web-1"] and after["shop-db-1"] == before["shop-db-1"]
    assert wait_until(lambda: reachable(d.port, "/mode") == "changed\n", 30)
    # ps, logs, ls, config, exec, a profile.
    ps = d.compose("ps").stdout
    assert "shop-web-1" in ps and "worker" in ps and f"127.0.0.1:{d.port}->80/tcp" in ps
    logs = d.compose("logs", "--no-color", "built").stdout
    assert "shop-built-1  | hello from build" in logs
    assert "shop" in d.compose("ls").stdout
    assert d.compose("exec", "-T", "worker", "sh", "-c", "echo in-$HOSTNAME").stdout.startswith("in-")
    assert "debug" not in d.compose("config", "--services").stdout
    assert "debug" in d.compose("--profile", "debug", "config", "--services").stdout
    # run: a one-off container on the project's network, its exit code berth's; --rm leaves nothing.
    r = d.compose("run", "--rm", "--no-deps", "-e", "X=one-off", "worker", "sh", "-c",
                  "echo $X; wget -q -O - http://db:5432/state; exit 3", check=False)
    assert r.returncode == 3 and r.stdout == "one-off\ndb ready\n", (r.stdout, r.stderr)
    assert set(ids(d)) == set(after)
    name = d.compose("run", "-d", "--name", "shop-adhoc", "worker", "sleep", "30").stdout.strip()
    assert name == "shop-adhoc"
    adhoc = json.loads(d.berth("inspect", "shop-adhoc").out)[0]
    assert adhoc["Config"]["Labels"]["com.docker.compose.oneoff"] == "True" and adhoc["Config"]["Cmd"] == ["sleep", "30"]
    assert not adhoc["HostConfig"].get("PortBindings")
    assert d.compose("run", "nosuch", "true", check=False).returncode == 1
    d.berth("rm", "-f", "shop-adhoc")
    # run -p publishes what the service does not; -v mounts a folder (relative to here) over the
    # service's volume at the same path.
    os.makedirs(os.path.join(d.proj, "www"))
    with open(os.path.join(d.proj, "www", "index.html"), "w") as f:
        f.write("from run -v\n")
    port2 = free_port()
    d.compose("run", "-d", "--no-deps", "--name", "shop-pub", "-p", f"127.0.0.1:{port2}:8080", "-v", "./www:/data:ro",
              "db", "httpd", "-f", "-p", "8080", "-h", "/data")
    assert wait_until(lambda: reachable(port2, "/index.html") == "from run -v\n", 30)
    pub = json.loads(d.berth("inspect", "shop-pub").out)[0]
    assert [m["Destination"] for m in pub["Mounts"]] == ["/data"] and pub["Mounts"][0]["RW"] is False
    assert pub["Mounts"][0]["Source"] == os.path.join(d.proj, "www")
    d.berth("rm", "-f", "shop-pub")
    r = d.compose("run", "--rm", "--no-deps", "-p", "notaport", "db", "true", check=False)
    assert r.returncode != 0 and "notaport" in r.stderr
    # build: the service's image again, a --build-arg overriding the file's.
    d.compose("build", "--build-arg", "GREETING=rebuilt", "built")
    assert d.berth("run", "--rm", "shop-built", "cat", "/greeting").out == "rebuilt from build\n"
    assert d.compose("build", "nosuch", check=False).returncode == 1
    # port, images, top.
    assert d.compose("port", "web", "80").stdout == f"127.0.0.1:{d.port}\n"
    r = d.compose("port", "web", "81", check=False)
    assert r.returncode == 1 and "no port 81/tcp" in r.stderr
    assert d.compose("port", "nosuch", "80", check=False).returncode == 1
    images = d.compose("images").stdout.splitlines()
    assert images[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    rows = {l.split()[0]: l.split() for l in images[1:]}
    assert set(rows) == set(after) and rows["shop-db-1"][1:3] == ["busybox", "latest"]
    assert rows["shop-db-1"][3] == d.berth("images", "-q", "busybox").out.strip()
    assert len(set(d.compose("images", "-q").stdout.split())) == 2  # busybox and the built one
    top = d.compose("top", "worker").stdout
    assert top.count("sleep 100000") == 3 and "shop-worker-2" in top and "PID" in top
    # The project in history: ps --at knows which containers belonged to it.
    t = "%.9f" % time.time()
    d.compose("down")
    at = d.berth("ps", "-a", "--at", t, "-f", "label=com.docker.compose.project=shop", "--format", "{{.Names}}").out.split()
    assert set(at) == set(after)
    assert d.berth("ps", "-aq").out == ""


def test_down_keeps_volumes_unless_asked_and_nothing_else(proj):
    d = proj
    d.berth("volume", "create", "bystander")
    d.compose("up", "-d", "db")
    assert set(ids(d)) == {"shop-db-1"}  # only what was asked, and its dependencies
    d.compose("exec", "-T", "db", "sh", "-c", "echo kept > /data/mark")
    d.compose("down")
    vols = d.berth("volume", "ls", "--format", "{{.Name}}").out.split()
    assert "shop_dbdata" in vols and "bystander" in vols
    d.compose("up", "-d", "db")
    assert d.compose("exec", "-T", "db", "cat", "/data/mark").stdout == "kept\n"
    d.compose("down", "-v")
    vols = d.berth("volume", "ls", "--format", "{{.Name}}").out.split()
    assert "shop_dbdata" not in vols and "bystander" in vols
    assert "shop_default" not in d.berth("network", "ls", "--format", "{{.Name}}").out.split()
    assert d.rows("SELECT count(*) FROM containers") == [(0,)]
    assert_no_network_left(d)


def test_invalid_files_create_nothing(proj):
    d = proj
    text = open(os.path.join(d.proj, "compose.yaml")).read()
    with open(os.path.join(d.proj, "compose.yaml"), "w") as f:
        f.write(text.replace("services:\n", "services:\n  broken:\n    image: busybox\n    ports: [\"1:2:3:4\"]\n", 1))
    r = d.compose("up", "-d", check=False)
    assert r.returncode != 0 and "compose.yaml:" in r.stderr and "ports" in r.stderr
    assert d.berth("ps", "-aq").out == "" and "shop_default" not in d.berth("network", "ls").out
    with open(os.path.join(d.proj, "compose.yaml"), "w") as f:
        f.write("services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n")
    r = d.compose("up", "-d", check=False)
    assert r.returncode != 0 and "cycle" in r.stderr
    with open(os.path.join(d.proj, "compose.yaml"), "w") as f:
        f.write("services:\n  a: {image: busybox, command: [\"${NEEDED:?set NEEDED}\"]}\n")
    r = d.compose("config", check=False)
    assert r.returncode != 0 and "set NEEDED" in r.stderr
    assert d.berth("ps", "-aq").out == ""


def test_up_in_the_foreground_stops_on_ctrl_c(bb, workdir):
    d = bb
    p = os.path.join(workdir, "fg")
    os.makedirs(p)
    with open(os.path.join(p, "compose.yaml"), "w") as f:
        f.write(f"""services:
  app:
    image: busybox
    command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo started; while true; do sleep 0.1; done"]
    deploy: {{replicas: 2}}
networks:
  default:
    ipam: {{config: [{{subnet: "{next_network()[1]}"}}]}}
""")
    up = subprocess.Popen([os.path.join(BIN, "berth"), "compose", "up"], cwd=p, env=d.env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: d.berth("ps", "-q", "-f", "label=com.docker.compose.project=fg").out.count("\n") == 2, 60)
        time.sleep(0.5)
        up.send_signal(signal.SIGINT)
        out, err = up.communicate(timeout=60)
        # As docker compose: every container stopped (its TERM handler ran), then exit 130.
        assert up.returncode == 130, (out, err)
        assert "Gracefully stopping..." in err and err.count("Stopped") == 2
        assert out.count("started") == 2
        states = d.berth("ps", "-a", "-f", "label=com.docker.compose.project=fg", "--format", "{{.State}}").out.split()
        assert states == ["exited", "exited"]
        for name in ("fg-app-1", "fg-app-2"):
            assert "bye" in d.berth("logs", name).out
    finally:
        if up.poll() is None:
            up.kill()
        subprocess.run([os.path.join(BIN, "berth"), "compose", "down"], cwd=p, env=d.env, capture_output=True)
    assert d.berth("ps", "-aq").out == ""


def test_run_starts_the_dependencies_first(bb, workdir):
    d = bb
    p = os.path.join(workdir, "deps")
    os.makedirs(p)
    with open(os.path.join(p, "compose.yaml"), "w") as f:
        f.write(f"""services:
  app:
    image: busybox
    depends_on: [store]
  store:
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
networks:
  default:
    ipam: {{config: [{{subnet: "{next_network()[1]}"}}]}}
""")
    berth = [os.path.join(BIN, "berth"), "compose"]
    try:
        r = subprocess.run(berth + ["run", "--rm", "app", "sh", "-c", "wget -q -O - http://store/hostname >/dev/null && echo reached"],
                           cwd=p, env=d.env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout == "reached\n", (r.stdout, r.stderr)
        # The dependency stays up, the one-off is gone.
        assert d.berth("ps", "--format", "{{.Names}}").out.split() == ["deps-store-1"]
    finally:
        subprocess.run(berth + ["down"], cwd=p, env=d.env, capture_output=True)
    assert d.berth("ps", "-aq").out == ""


def test_same_project_as_docker_compose_v1(bb, workdir):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")
    d = bb
    p = os.path.join(workdir, "twin")
    os.makedirs(p)
    with open(os.path.join(p, "docker-compose.yml"), "w") as f:
        f.write(f"""version: "3"
services:
  app:
    image: busybox
    command: ["sh", "-c", "exec sleep 100000"]
    labels: {{tier: app}}
    volumes: ["data:/data"]
networks:
  default:
    ipam: {{config: [{{subnet: "{next_network()[1]}"}}]}}
volumes:
  data: {{}}
""")
    env = dict(d.env, DOCKER_HOST="unix://" + d.sock, PYTHONPATH="/usr/lib/python3/dist-packages", COMPOSE_INTERACTIVE_NO_CLI="1")
    berth = os.path.join(BIN, "berth")

    def snapshot():
        c = json.loads(d.berth("inspect", d.berth("ps", "-aq").out.split()[0]).out)[0]
        keep = ("com.docker.compose.project", "com.docker.compose.service", "com.docker.compose.container-number",
                "com.docker.compose.oneoff", "tier")
        return (c["Name"].lstrip("/"), {k: c["Config"]["Labels"].get(k) for k in keep}, sorted(c["NetworkSettings"]["Networks"]),
                [m.get("Name") for m in c["Mounts"]])

    subprocess.run(["docker-compose", "-p", "twin", "up", "-d"], cwd=p, env=env, check=True, capture_output=True, timeout=120)
    v1 = snapshot()
    subprocess.run(["docker-compose", "-p", "twin", "down", "-v"], cwd=p, env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([berth, "compose", "-p", "twin", "up", "-d"], cwd=p, env=d.env, check=True, capture_output=True, timeout=120)
    ours = snapshot()
    subprocess.run([berth, "compose", "-p", "twin", "down", "-v"], cwd=p, env=d.env, check=True, capture_output=True, timeout=120)
    # Compose v2's names (`twin-app-1`), where v1 wrote `twin_app_1`; labels, networks and
    # volumes the same.
    assert v1[0] == "twin_app_1" and ours[0] == "twin-app-1"
    assert v1[1:] == ours[1:]
    assert ours[2] == ["twin_default"] and ours[3] == ["twin_data"]
    assert d.rows("SELECT count(*) FROM containers") == [(0,)]
    assert "twin_data" not in d.berth("volume", "ls").out
