"""The CLI never takes an unknown flag for an image name."""
import os
import shutil
import subprocess

from conftest import needs_root

pytestmark = needs_root


def test_unknown_run_flags_are_named(bb):
    for args, flag in [(["run", "--rm", "--nosuch", "busybox", "true"], "--nosuch"),
                       (["run", "--nosuch=1", "busybox", "true"], "--nosuch"),
                       (["create", "-Z", "busybox"], "-Z")]:
        r = bb.berth(*args, check=False)
        assert r.returncode == 125 and r.err.startswith(f"unknown flag: {flag}\n"), (args, r.err)
    assert bb.rows("SELECT count(*) FROM containers") == [(0,)]
    # --link is a flag berth has now: not an image name either.
    bb.berth("run", "-d", "--name", "web", "busybox", "sh", "-c", "mkfifo /tmp/f; cat /tmp/f")
    assert bb.berth("run", "--rm", "--link", "web:w", "busybox", "true").returncode == 0


def test_help_is_docker_shaped_and_runs_nothing(bb):
    for args, usage in [(["run", "--help"], "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]"),
                        (["exec", "--help"], "Usage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]"),
                        (["network", "create", "-h"], "Usage:  berth network create [OPTIONS] NAME"),
                        (["help", "volume"], "Usage:  berth volume COMMAND")]:
        r = bb.berth(*args)
        assert r.returncode == 0 and r.out.startswith(usage + "\n"), (args, r.out)
    # after the image, --help is the container's
    r = bb.berth("run", "--rm", "busybox", "echo", "--help")
    assert r.out == "--help\n"
    assert bb.rows("SELECT count(*) FROM containers") == [(0,)]


def test_inspect_format_index(bb):
    bb.berth("create", "--name", "indexed", "-l", "com.example.role=web", "busybox", "sh", "-c", "true")
    try:
        f = '{{index .Config.Labels "com.example.role"}}|{{index .Config.Labels "nope"}}|{{index .Config.Cmd 2}}'
        assert bb.berth("inspect", "-f", f, "indexed").out == "web||true\n"
        if shutil.which("docker"):
            env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock)
            d = subprocess.run(["docker", "inspect", "-f", f, "indexed"], env=env, capture_output=True, text=True, timeout=60)
            assert d.stdout == "web||true\n", d.stderr
    finally:
        bb.berth("rm", "indexed")
