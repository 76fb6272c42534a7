"""The history page (`berthd --web-addr`), loaded in a real browser: headless Chromium renders
it, the test reads the DOM it built and checks names and runs, and its screenshots are real
pictures at desktop and phone widths."""
import http.client
import os
import re
import shutil
import struct
import subprocess
import time
import zlib

import pytest

from conftest import needs_root
from test_network import free_port

pytestmark = [needs_root, pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")]


def chromium(workdir, *args):
    profile = os.path.join(workdir, "chromium-profile")
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--user-data-dir=" + profile, *args], capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def png_facts(path):
    """(width, height, distinct byte values of the pixel data) from the PNG's own chunks."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    pixels = zlib.decompress(idat)
    channels = {2: 3, 6: 4}[color]
    assert depth == 8 and len(pixels) == height * (1 + width * channels)
    return width, height, len(set(pixels))


@pytest.fixture
def web(make_daemon, images, workdir):
    d = make_daemon()
    d.port = free_port()
    d.args = ["--web-addr", f"127.0.0.1:{d.port}"]
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    d.berth("run", "--name", "ok", "busybox", "true")
    d.berth("run", "--name", "bad", "busybox", "sh", "-c", "echo '<b>bold</b>' >&2; exit 3", check=False)
    d.berth("run", "-d", "--name", "loop", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
    d.berth("run", "--name", "gone", "busybox", "true")
    time.sleep(0.05)
    d.before_rm = "%.9f" % time.time()
    time.sleep(0.05)
    d.berth("rm", "gone")
    deadline = time.time() + 30
    while time.time() < deadline and d.berth("inspect", "-f", "{{.State.Status}}", "loop").out.strip() != "exited":
        time.sleep(0.1)
    return d


def test_page_lists_every_container_and_its_runs(web, workdir):
    d = web
    dom = chromium(workdir, "--dump-dom", f"http://127.0.0.1:{d.port}/")
    lives = re.findall(r'<div class="life" data-id="([0-9a-f]{64})">(.*?)</div>\s*</div>', dom, re.S)
    by_name = {re.search(r'<a href="/container/[0-9a-f]+">([^<]+)</a>', body).group(1): (cid, body) for cid, body in lives}
    assert set(by_name) == {"ok", "bad", "loop", "gone"}
    runs = {name: len(re.findall(r'class="run ', body)) for name, (_, body) in by_name.items()}
    assert runs == {"ok": 1, "bad": 1, "loop": 3, "gone": 1}
    assert 'class="run crash"' in by_name["bad"][1] and 'class="run exited"' in by_name["ok"][1]
    assert "s-removed" in by_name["gone"][1]
    # A past moment: the removed container is back in the --at view.
    dom = chromium(workdir, "--dump-dom", f"http://127.0.0.1:{d.port}/?at={d.before_rm}")
    at_rows = re.findall(r'<tr class="at-row"><td><a href="/container/[0-9a-f]+">([^<]+)</a></td><td>([a-z]+)</td>', dom)
    then = dict(at_rows)
    assert set(then) == {"ok", "bad", "loop", "gone"}
    assert then["gone"] == then["ok"] == then["bad"] == "exited"  # loop may have been between runs
    assert 'class="marker"' in dom
    bad = chromium(workdir, "--dump-dom", f"http://127.0.0.1:{d.port}/?at=not-a-time")
    assert 'id="at-error"' in bad and "not a time" in bad


def test_container_page_shows_runs_and_escaped_logs(web, workdir):
    d = web
    cid = d.berth("inspect", "-f", "{{.Id}}", "bad").out.strip()
    dom = chromium(workdir, "--dump-dom", f"http://127.0.0.1:{d.port}/container/{cid}")
    assert '<h2 id="name">bad ' in dom
    assert len(re.findall(r'<tr class="run-row">', dom)) == 1
    logs = re.search(r'<pre id="logs">(.*?)</pre>', dom, re.S).group(1)
    # The container's output is text on the page, never markup.
    assert "&lt;b&gt;bold&lt;/b&gt;" in logs and "<b>" not in logs
    gone = d.rows("SELECT id FROM removed_containers WHERE name = 'gone'")[0][0]
    dom = chromium(workdir, "--dump-dom", f"http://127.0.0.1:{d.port}/container/{gone}")
    assert "Its logs went with it." in dom and "Removed" in dom


def test_screenshots_are_real_pictures(web, workdir):
    d = web
    for size in ("1200,800", "390,844"):
        shot = os.path.join(workdir, f"shot-{size}.png")
        chromium(workdir, f"--window-size={size}", f"--screenshot={shot}", f"http://127.0.0.1:{d.port}/?at=2s")
        w, h, distinct = png_facts(shot)
        assert (w, h) == tuple(int(x) for x in size.split(","))
        assert distinct > 40, "a blank or single-colour picture"


def test_only_the_page_is_served(web):
    d = web
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    for method, path, want in (("GET", "/containers/json", 404), ("GET", "/_ping", 404), ("GET", "/metrics", 404),
                               ("POST", "/", 405), ("GET", "/container/../../etc/passwd", 404),
                               ("GET", "/container/" + "z" * 64, 404), ("GET", "/container/" + "0" * 64, 404)):
        c.request(method, path)
        r = c.getresponse()
        body = r.read()
        assert r.status == want, (method, path, r.status)
    c.request("GET", "/")
    r = c.getresponse()
    r.read()
    assert r.status == 200 and "default-src 'none'" in r.getheader("Content-Security-Policy")
    c.close()


def test_web_addr_refuses_other_hosts(make_daemon):
    d = make_daemon()
    d.args = ["--web-addr", "0.0.0.0:9"]
    with pytest.raises(RuntimeError) as e:
        d.start()
    assert "loopback" in str(e.value) and "--web-addr-insecure" in str(e.value)
