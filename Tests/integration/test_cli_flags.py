"""The CLI never takes an unknown flag for an image name."""
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
