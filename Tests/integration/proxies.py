"""An HTTP proxy on 127.0.0.1 in front of a test registry, failing or holding on purpose."""
import http.client
import http.server
import select
import socket
import threading
import time


def client_gone(conn):
    """Whether the peer closed `conn` (it reads as end of file, or reset)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class RegistryProxy:
    """Forwards every method to `upstream` (Host kept, so the registry's upload Locations lead back
    here) and records (method, path) in `hits` and each GET's Range header in `ranges`. On purpose:
    - flaky: the first GET of every blob answers 503, and the first download over 100 kB is cut
      halfway;
    - gated=DIGEST: the first GET of that blob sends half, waits until `release` is set, then ends
      the connection (`cut`) or sends the rest; `blocked` is set while it waits, `dropped` when
      the client ends the connection meanwhile;
    - redirect_blobs=STORAGE: blob GETs answer 307 to that BlobStorage (as registries send
      clients to S3);
    - ranges=False: Range headers are not passed on (the whole blob comes back, status 200);
    - hold_manifest: the first manifest GET waits until `release` (`blocked` set meanwhile,
      `dropped` when the client ends the connection)."""

    def __init__(self, upstream, flaky=False, gated=None, cut=True, redirect_blobs=None, ranges=True, hold_manifest=False):
        self.hits, self.ranges, self.blocked, self.release = [], [], threading.Event(), threading.Event()
        self.dropped = threading.Event()
        seen, state = set(), {"cut": False}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def hold(self):
                """Waits until released (True), or until the client ends the connection (False)."""
                proxy.blocked.set()
                deadline = time.monotonic() + 60
                while not proxy.release.wait(0.1) and time.monotonic() < deadline:
                    if client_gone(self.connection):
                        proxy.dropped.set()
                        self.close_connection = True
                        return False
                return True

            def forward(self):
                path = self.path.split("?")[0]
                proxy.hits.append((self.command, path))
                if self.command == "GET":
                    proxy.ranges.append((path, self.headers.get("Range")))
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                blob_get = self.command == "GET" and "/blobs/" in path
                if hold_manifest and self.command == "GET" and "/manifests/" in path and not proxy.blocked.is_set():
                    if not self.hold():
                        return
                if redirect_blobs and blob_get:
                    self.send_response(307)
                    self.send_header("Location", f"http://{redirect_blobs.addr}/storage/{path.rsplit('/', 1)[1]}?sig=x")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if flaky and blob_get and path not in seen:
                    seen.add(path)
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                host, port = upstream.split(":")
                c = http.client.HTTPConnection(host, int(port), timeout=60)
                sent = {k: v for k, v in self.headers.items() if ranges or k.lower() != "range"}
                c.request(self.command, self.path, body=body, headers=sent)
                resp = c.getresponse()
                data = resp.read()
                c.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if flaky and blob_get and len(data) > 100000 and not state["cut"]:
                    state["cut"] = True
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    self.close_connection = True
                    return
                if gated and blob_get and path.endswith(gated) and not proxy.blocked.is_set():
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    if not self.hold():
                        return
                    if cut:
                        self.close_connection = True
                        return
                    self.wfile.write(data[len(data) // 2:])
                    return
                self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self, method="GET"):
        return [p for m, p in self.hits if m == method]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class BlobStorage:
    """Blob storage on another port, as a registry's S3: serves blobs straight from the
    registry's storage folder, answers the first GET of each with 429 and Retry-After: 1, and
    records the headers of every GET in `seen` (path, Authorization or None)."""

    def __init__(self, registry_storage):
        self.seen, asked = [], set()
        store = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                digest = self.path.split("?")[0].rsplit("/", 1)[1]
                store.seen.append((digest, self.headers.get("Authorization")))
                hexd = digest.split(":")[1]
                data_path = f"{registry_storage}/docker/registry/v2/blobs/sha256/{hexd[:2]}/{hexd}/data"
                if digest not in asked:
                    asked.add(digest)
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = open(data_path, "rb").read()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
