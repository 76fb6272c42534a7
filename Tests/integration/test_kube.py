"""`berth kube generate`: Kubernetes YAML from real containers' records, checked against
Kubernetes' own schemas (kubernetes-validate --strict, Kubernetes 1.37)."""
import os
import json
import shutil
import subprocess

import pytest
import yaml

from conftest import needs_root

pytestmark = [needs_root, pytest.mark.skipif(shutil.which("kubernetes-validate") is None, reason="kubernetes-validate not installed")]

K8S = "1.37.0"


def validate(path):
    p = subprocess.run(["kubernetes-validate", "--strict", "-k", K8S, path], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


@pytest.fixture
def made(bb, workdir):
    d = bb
    host = os.path.join(workdir, "hostdir")
    os.makedirs(host)
    d.berth("create", "--name", "web", "-p", "127.0.0.1:30080:80", "-p", "9090:90/udp", "--expose", "7000",
            "-e", "MODE=prod", "-l", "tier=web", "-m", "64m", "--cpus", "0.5", "--health-cmd", "test -f /srv/ok",
            "--health-interval", "5s", "--health-retries", "4", "--restart", "on-failure:3", "--cap-add", "NET_ADMIN",
            "--cap-drop", "MKNOD", "--read-only", "--tmpfs", "/run", "-v", "webdata:/data", "-v", f"{host}:/host:ro",
            "-u", "1000:1000", "-w", "/srv", "busybox", "sleep", "1000")
    d.berth("create", "--name", "side", "--network", "container:web", "busybox", "sh", "-c", "sleep 1000")
    d.berth("create", "--name", "Odd_Name.v2", "--privileged", "busybox", "true")
    return d


def docs(text):
    return [x for x in yaml.safe_load_all(text) if x]


def test_pod_with_sidecar_claim_and_probe(made, workdir):
    d = made
    r = d.berth("kube", "generate", "web", "side")
    out = os.path.join(workdir, "pod.yaml")
    open(out, "w").write(r.out)
    validate(out)
    ds = docs(r.out)
    # side shares web's network namespace (--network container:web): one pod, as in Kubernetes.
    assert [x["kind"] for x in ds] == ["PersistentVolumeClaim", "Pod"]
    assert ds[0]["metadata"]["name"] == "webdata"
    pod = ds[1]
    assert pod["metadata"]["name"] == "web" and pod["spec"]["restartPolicy"] == "OnFailure"
    web, side = pod["spec"]["containers"]
    assert side["name"] == "side" and side["args"] == ["sh", "-c", "sleep 1000"]
    assert web["image"] == "busybox" and web["args"] == ["sleep", "1000"] and web["workingDir"] == "/srv"
    assert {"name": "MODE", "value": "prod"} in web["env"]
    assert {"containerPort": 80, "protocol": "TCP", "hostPort": 30080, "hostIP": "127.0.0.1"} in web["ports"]
    assert {"containerPort": 90, "protocol": "UDP", "hostPort": 9090} in web["ports"]
    assert {"containerPort": 7000, "protocol": "TCP"} in web["ports"]
    assert web["resources"]["limits"] == {"memory": str(64 << 20), "cpu": "500m"}
    sc = web["securityContext"]
    assert sc["runAsUser"] == 1000 and sc["runAsGroup"] == 1000 and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}
    probe = web["livenessProbe"]
    assert probe["exec"]["command"] == ["/bin/sh", "-c", "test -f /srv/ok"] and probe["periodSeconds"] == 5
    assert probe["failureThreshold"] == 4
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    kinds = sorted(k for v in vols.values() for k in v if k != "name")
    assert kinds == ["emptyDir", "hostPath", "persistentVolumeClaim"]
    assert "hostPath" in r.err  # the warning that a bind needs the path on the node


def test_deployment_and_service(made, workdir):
    d = made
    r = d.berth("kube", "generate", "--type", "deployment", "--service", "web", "Odd_Name.v2", "-f", os.path.join(workdir, "d.yaml"))
    validate(os.path.join(workdir, "d.yaml"))
    ds = docs(open(os.path.join(workdir, "d.yaml")).read())
    kinds = [x["kind"] for x in ds]
    assert kinds == ["PersistentVolumeClaim", "Deployment", "Service", "Deployment"]
    dep = ds[1]
    assert dep["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert "restarts its pods always" in r.err
    svc = ds[2]
    # 30080 lies in the node port range, 9090 does not: ClusterIP, and said so.
    assert svc["spec"]["type"] == "ClusterIP" and "ClusterIP" in r.err
    odd = ds[3]["metadata"]["name"]
    assert odd.startswith("odd-name-v2-") and len(odd) <= 63
    # The same input gives the same names.
    again = d.berth("kube", "generate", "--type", "deployment", "Odd_Name.v2").out
    assert docs(again)[0]["metadata"]["name"] == odd
    assert docs(again)[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {"privileged": True}


def test_node_port_service_and_bad_input(made, workdir):
    d = made
    d.berth("create", "--name", "np", "-p", "127.0.0.1:31000:80", "busybox", "true")
    r = d.berth("kube", "generate", "--service", "np")
    out = os.path.join(workdir, "np.yaml")
    open(out, "w").write(r.out)
    validate(out)
    svc = docs(r.out)[1]
    assert svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0]["nodePort"] == 31000
    assert d.berth("kube", "generate", "nosuch", check=False).returncode != 0
    assert d.berth("kube", "generate", "--type", "job", "np", check=False).returncode != 0


PLAY = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared-data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: shop}
spec:
  restartPolicy: Always
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: data, persistentVolumeClaim: {claimName: shared-data}}
  - {name: conf, configMap: {name: shop-config, items: [{key: greeting, path: sub/greeting.txt, mode: 384}]}}
  - {name: creds, secret: {secretName: shop-secret}}
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: [{containerPort: 8080, hostPort: PORT, hostIP: 127.0.0.1}]
    volumeMounts: [{name: scratch, mountPath: /www}]
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    env: [{name: ROLE, value: web}, {name: LEVEL, valueFrom: {configMapKeyRef: {name: shop-config, key: level}}},
          {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: shop-secret, key: password}}}]
    envFrom: [{configMapRef: {name: shop-config}, prefix: CFG_}, {secretRef: {name: shop-secret}, prefix: S_}]
  - name: side
    image: busybox
    command: ["sh", "-c"]
    args: ["echo from-side > /www/index.html; echo kept > /data/k; until wget -q -O /www/seen http://127.0.0.1:8080/; do sleep 0.1; done; exec sleep 100000"]
    volumeMounts: [{name: scratch, mountPath: /www}, {name: data, mountPath: /data}, {name: conf, mountPath: /etc/shop},
                   {name: creds, mountPath: /run/creds}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: workers}
spec:
  replicas: 2
  selector: {matchLabels: {app: workers}}
  template:
    metadata: {labels: {app: workers}}
    spec:
      containers:
      - {name: w, image: busybox, command: ["sleep", "100000"]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config}
data: {level: debug, greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: shop-secret}
type: Opaque
data: {password: czNjcjN0}
stringData: {user: shopkeeper}
"""


def test_play_runs_pods_that_share_localhost_and_down_removes_them(bb, workdir):
    from test_network import free_port, reachable
    import time as _t
    d = bb
    port = free_port()
    f = os.path.join(workdir, "play.yaml")
    open(f, "w").write(PLAY.replace("PORT", str(port)))
    validate(f)  # the file is valid Kubernetes to begin with
    d.berth("volume", "create", "bystander")
    out = d.berth("kube", "play", f).out
    assert "Pod shop: shop-web, shop-side" in out
    names = set(d.berth("ps", "--format", "{{.Names}}").out.split())
    assert names == {"shop-web", "shop-side", "workers-1-w", "workers-2-w"}
    # side wrote into the shared emptyDir and reached web on localhost; web serves it on the host port.
    deadline = _t.time() + 30
    while _t.time() < deadline and reachable(port, "/seen") is None:
        _t.sleep(0.1)
    assert reachable(port, "/index.html") == "from-side\n" and reachable(port, "/seen") == "from-side\n"
    pod = d.berth("ps", "-f", "label=io.berth.kube.pod=shop", "--format", "{{.Names}}").out.split()
    assert sorted(pod) == ["shop-side", "shop-web"]
    # ps --pod: the pod each one belongs to (as podman ps --pod), and {{.PodName}}.
    table = d.berth("ps", "--pod").out.splitlines()
    assert table[0].split()[-1] == "PODNAME"
    assert {tuple(l.split()[-2:]) for l in table[1:]} >= {("shop-web", "shop"), ("workers-1-w", "workers-1")}
    assert d.berth("ps", "-f", "name=shop-side", "--format", "{{.Names}} {{.PodName}}").out == "shop-side shop\n"
    web = json.loads(d.berth("inspect", "shop-web").out)[0]
    assert web["HostConfig"]["Memory"] == 64 << 20 and web["HostConfig"]["NanoCpus"] == 500_000_000
    assert "ROLE=web" in web["Config"]["Env"] and web["HostConfig"]["RestartPolicy"]["Name"] == "always"
    # The ConfigMap's values, by key and whole with a prefix.
    assert {"LEVEL=debug", "CFG_level=debug", "CFG_greeting=hello"} <= set(web["Config"]["Env"])
    assert d.berth("exec", "shop-web", "sh", "-c", "echo $LEVEL $CFG_greeting").out == "debug hello\n"
    # The Secret's: data decoded from base64, stringData as written.
    assert {"DB_PASSWORD=s3cr3t", "S_password=s3cr3t", "S_user=shopkeeper"} <= set(web["Config"]["Env"])
    # configMap and secret volumes: the keys as files (items at their path and mode), read-only.
    assert d.berth("exec", "shop-side", "cat", "/etc/shop/sub/greeting.txt").out == "hello"
    assert d.berth("exec", "shop-side", "stat", "-c", "%a", "/etc/shop/sub/greeting.txt").out == "600\n"
    assert d.berth("exec", "shop-side", "ls", "/etc/shop").out == "sub\n"
    assert d.berth("exec", "shop-side", "cat", "/run/creds/password", "/run/creds/user").out == "s3cr3tshopkeeper"
    assert d.berth("exec", "shop-side", "touch", "/run/creds/x", check=False).returncode != 0
    d.berth("kube", "down", f)
    assert d.berth("ps", "-aq").out == ""
    vols = d.berth("volume", "ls", "--format", "{{.Name}}").out.split()
    assert "shared-data" in vols and "bystander" in vols and "shop-scratch" not in vols
    assert "shop-conf" not in vols and "shop-creds" not in vols
    # The claim's data is kept for the next play.
    d.berth("kube", "play", f)
    assert d.berth("exec", "shop-side", "cat", "/data/k").out == "kept\n"
    d.berth("kube", "down", f)


def test_play_refuses_before_creating_and_undoes_a_late_failure(bb, workdir):
    d = bb
    bad = os.path.join(workdir, "bad.yaml")
    for text, words in (("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "not supported"),
                        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox, env: [{name: X, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}]}\n", "valueFrom"),
                        ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox, env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]}\n", "no key k in Secret s"),
                        ("kind: Secret\nmetadata: {name: s}\ndata: {k: '***'}\n---\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox}]}\n", "not base64"),
                        ("kind: Pod\nmetadata: {name: p}\nspec: {volumes: [{name: v, configMap: {name: nope}}], containers: [{name: c, image: busybox}]}\n", "no ConfigMap nope"),
                        ("kind: ConfigMap\nmetadata: {name: m}\ndata: {k: v}\n---\nkind: Pod\nmetadata: {name: p}\nspec: {volumes: [{name: v, configMap: {name: m, items: [{key: k, path: ../../etc/x}]}}], containers: [{name: c, image: busybox}]}\n", "without '..'"),
                        ("kind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Sometimes, containers: [{name: c, image: busybox}]}\n", "restartPolicy"),
                        ("kind: Pod\nspec: [\n", "invalid YAML")):
        open(bad, "w").write(text)
        r = d.berth("kube", "play", bad, check=False)
        assert r.returncode == 125 and words in r.err, r.err
        assert d.berth("ps", "-aq").out == ""
    # The second pod's image cannot be had: the first pod goes again.
    open(bad, "w").write("kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: busybox, command: [sleep, '1000']}]}\n---\n"
                         "kind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: 127.0.0.1:1/nosuch:latest}]}\n")
    r = d.berth("kube", "play", bad, check=False)
    assert r.returncode == 125 and "removed again" in r.err
    assert d.berth("ps", "-aq").out == ""


def test_generate_then_play_round_trip(made, workdir):
    d = made
    out = os.path.join(workdir, "gen.yaml")
    d.berth("kube", "generate", "Odd_Name.v2", "-f", out)
    d.berth("kube", "play", out)
    assert any(n.startswith("odd-name-v2-") for n in d.berth("ps", "-a", "--format", "{{.Names}}").out.split())
    d.berth("kube", "down", out)
