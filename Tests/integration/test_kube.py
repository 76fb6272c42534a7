"""`berth kube generate`: Kubernetes YAML from real containers' records, checked against
Kubernetes' own schemas (kubernetes-validate --strict, Kubernetes 1.37)."""
import os
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
