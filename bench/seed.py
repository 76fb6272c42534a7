#!/usr/bin/env python3
"""Seeds berthd with containers through its API (the code path `berth create`/`start` use):
seed.py SOCKET create N [PREFIX]   -> N created containers (PREFIX0…)
seed.py SOCKET run N [PREFIX]      -> N containers run to exit (`true`), i.e. status=exited
Requests go over a few connections at once; berthd serialises the writes itself."""
import http.client
import json
import socket
import sys
from concurrent.futures import ThreadPoolExecutor


class Conn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(sock, method, path, body=None):
    c = Conn(sock)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {data!r}")
        return data
    finally:
        c.close()


def one(sock, mode, name):
    cid = json.loads(call(sock, "POST", f"/containers/create?name={name}",
                          json.dumps({"Image": "busybox", "Cmd": ["true"], "Labels": {"bench": "1"},
                                      "HostConfig": {"NetworkMode": "none"}})))["Id"]
    if mode == "run":
        call(sock, "POST", f"/containers/{cid}/start")
        call(sock, "POST", f"/containers/{cid}/wait")


def main():
    sock, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    prefix = sys.argv[4] if len(sys.argv) > 4 else mode
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: one(sock, mode, f"{prefix}{i}"), range(n)))


if __name__ == "__main__":
    main()
