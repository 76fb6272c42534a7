"""Registries over TLS with berthd's certs.d (a CA and client certificates of the test's own)
and behind a Bearer token service (a small one here, signing the tokens docker-registry's
`auth: token` checks). Everything listens on 127.0.0.1 and is stopped by the test.
"""
import base64
import datetime
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
from conftest import Registry, needs_root
from proxies import BlobStorage, RegistryProxy

pytestmark = needs_root

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
import ipaddress  # noqa: E402


def pem_write(path, obj):
    with open(path, "wb") as f:
        if isinstance(obj, x509.Certificate):
            f.write(obj.public_bytes(serialization.Encoding.PEM))
        else:
            f.write(obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


def certificate(subject, key, issuer=None, issuer_key=None, ca=False, ip=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or subject)]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip)),
                                                        x509.DNSName("localhost")]), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture
def pki(workdir):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it."""
    d = os.path.join(workdir, "pki")
    os.makedirs(d)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("berth-test-ca", ca_key, ca=True)
    files = {}
    for name, obj in (("ca.crt", ca), ("ca.key", ca_key)):
        files[name] = os.path.join(d, name)
        pem_write(files[name], obj)
    for who, ip in (("server", "127.0.0.1"), ("client", None)):
        k = ec.generate_private_key(ec.SECP256R1())
        c = certificate(f"berth-test-{who}", k, issuer="berth-test-ca", issuer_key=ca_key, ip=ip)
        files[who + ".cert"], files[who + ".key"] = os.path.join(d, who + ".cert"), os.path.join(d, who + ".key")
        pem_write(files[who + ".cert"], c)
        pem_write(files[who + ".key"], k)
    return files


def test_tls_registry_with_certs_d_ca_and_client_certificate(make_daemon, workdir, images, pki):
    base = os.path.join(workdir, "tls-registry")
    os.makedirs(base)
    reg = Registry(base, tls=(pki["server.cert"], pki["server.key"], pki["ca.crt"]))
    try:
        # skopeo's certificate folder has the same layout as certs.d.
        skopeo_dir = os.path.join(workdir, "skopeo-certs")
        os.makedirs(skopeo_dir)
        for src, dst in (("ca.crt", "ca.crt"), ("client.cert", "client.cert"), ("client.key", "client.key")):
            shutil.copy(pki[src], os.path.join(skopeo_dir, dst))
        reg.push(images["bb-docker.tar"], "tls/busybox:1", cert_dir=skopeo_dir)
        certs = os.path.join(workdir, "certs.d")
        host_dir = os.path.join(certs, reg.addr)
        os.makedirs(host_dir)
        d = make_daemon()
        d.args = ["--certs-dir", certs]
        d.start()
        name = f"{reg.addr}/tls/busybox:1"
        # A folder for the host means HTTPS even on loopback; without the CA the server is not trusted.
        r = d.berth("pull", name, check=False)
        assert r.returncode == 1 and "tls" in r.err.lower() and "Status:" not in r.out, r.err
        # The CA alone: trusted, but the registry wants a client certificate.
        shutil.copy(pki["ca.crt"], os.path.join(host_dir, "ca.crt"))
        r = d.berth("pull", name, check=False)
        assert r.returncode == 1 and "Status:" not in r.out, r.err
        # Half a pair is refused with the reason.
        shutil.copy(pki["client.cert"], os.path.join(host_dir, "client.cert"))
        r = d.berth("pull", name, check=False)
        assert r.returncode == 1 and "missing key client.key for client certificate client.cert" in r.err
        shutil.copy(pki["client.key"], os.path.join(host_dir, "client.key"))
        r = d.berth("pull", name)
        assert "Status: Downloaded newer image" in r.out
        assert d.berth("run", "--rm", name, "echo", "over-tls").out == "over-tls\n"
        # Push goes the same way, and pulls back bit-identical.
        d.berth("tag", name, f"{reg.addr}/tls/again:2")
        d.berth("push", f"{reg.addr}/tls/again:2")
        digest = json.loads(d.berth("image", "inspect", f"{reg.addr}/tls/again:2").out)[0]["RepoDigests"]
        assert any(x.startswith(f"{reg.addr}/tls/again@sha256:") for x in digest)
        assert d.rows("SELECT outcome FROM pulls WHERE reference LIKE ?", f"%{reg.addr}/tls/busybox%")[-1] == ("downloaded",)
    finally:
        reg.stop()


def test_loopback_registry_over_tls_without_certs_d_as_dockerd(make_daemon, workdir, images, pki):
    """A registry berth does not verify (loopback here, as `--insecure-registry` ones) is tried
    over HTTPS first with its certificate unchecked, then plain HTTP: a self-signed one works."""
    base = os.path.join(workdir, "tls-registry")
    os.makedirs(base)
    reg = Registry(base, tls=(pki["server.cert"], pki["server.key"], None))
    try:
        skopeo_dir = os.path.join(workdir, "skopeo-certs")
        os.makedirs(skopeo_dir)
        shutil.copy(pki["ca.crt"], os.path.join(skopeo_dir, "ca.crt"))
        reg.push(images["bb-docker.tar"], "self/busybox:1", cert_dir=skopeo_dir)
        d = make_daemon()
        d.args = ["--certs-dir", os.path.join(workdir, "empty-certs.d")]
        d.start()
        name = f"{reg.addr}/self/busybox:1"
        r = d.berth("pull", name)
        assert "Status: Downloaded newer image" in r.out, r.err
        assert d.berth("run", "--rm", name, "echo", "unchecked-tls").out == "unchecked-tls\n"
        d.berth("tag", name, f"{reg.addr}/self/again:2")
        assert "digest: sha256:" in d.berth("push", f"{reg.addr}/self/again:2").out
        # What went up is on the TLS registry (the only thing listening there).
        p = subprocess.run(["skopeo", "inspect", "--cert-dir", skopeo_dir, f"docker://{reg.addr}/self/again:2"],
                           capture_output=True, text=True)
        assert p.returncode == 0 and json.loads(p.stdout)["Digest"].startswith("sha256:"), p.stderr
    finally:
        reg.stop()


class TokenService:
    """A Bearer token service as Docker Hub's auth.docker.io: anyone may pull `public/*`;
    `tester` (Basic) may pull and push anything. Tokens are JWTs signed with an RSA key whose
    self-signed certificate docker-registry trusts (`rootcertbundle`); `requests` records
    (scope, user) of every token handed out, `refused` the ones refused."""

    def __init__(self, workdir, service="berth-test-registry", issuer="berth-test-issuer"):
        self.service, self.issuer = service, issuer
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.cert = certificate("berth-test-token-signer", self.key)
        self.bundle = os.path.join(workdir, "token-signer.pem")
        pem_write(self.bundle, self.cert)
        self.requests, self.refused = [], []
        svc = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                user = None
                h = self.headers.get("Authorization", "")
                if h.startswith("Basic "):
                    u, _, p = base64.b64decode(h[6:]).decode().partition(":")
                    if (u, p) != ("tester", "t0ken-pw"):
                        svc.refused.append(" ".join(q.get("scope", [])))
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    user = u
                scopes = q.get("scope", [])
                svc.requests += [(sc, user) for sc in scopes] or [("", user)]
                body = json.dumps({"token": svc.token(scopes, user), "expires_in": 300, "issued_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, scopes, user):
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":")
            allowed = [a for a in actions.split(",") if user == "tester" or (a == "pull" and name.startswith("public/"))]
            if allowed:
                access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": uuid.uuid4().hex, "access": access}
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}

        def b64(raw):
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64(sig)

    def auth_config(self):
        return (f"auth:\n  token:\n    realm: {self.realm}\n    service: {self.service}\n"
                f"    issuer: {self.issuer}\n    rootcertbundle: {self.bundle}\n")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_bearer_token_flow_with_cached_tokens(make_daemon, workdir, images):
    tokens = TokenService(workdir)
    base = os.path.join(workdir, "token-registry")
    os.makedirs(base)
    reg = Registry(base, auth=tokens.auth_config())
    try:
        reg.push(images["bb-docker.tar"], "public/busybox:1", creds=("tester", "t0ken-pw"))
        reg.push(images["bb-docker.tar"], "private/busybox:1", creds=("tester", "t0ken-pw"))
        d = make_daemon()
        # The CLI keeps logins in DOCKER_CONFIG (the test's own).
        d.extra_env["DOCKER_CONFIG"] = os.path.join(workdir, "dockercfg")
        d.start()
        del tokens.requests[:]
        # Anonymous pull: one token for the repository's pull scope serves every request of the
        # pull (manifest, config, layers) and the next pull of the repository.
        assert "Status: Downloaded newer image" in d.berth("pull", f"{reg.addr}/public/busybox:1").out
        d.berth("rmi", f"{reg.addr}/public/busybox:1")
        assert "Status: Downloaded newer image" in d.berth("pull", f"{reg.addr}/public/busybox:1").out
        assert tokens.requests == [("repository:public/busybox:pull", None)], tokens.requests
        # A repository anonymous tokens do not cover: Docker's words.
        r = d.berth("pull", f"{reg.addr}/private/busybox:1", check=False)
        assert r.returncode == 1 and "pull access denied for" in r.err
        # Wrong credentials: the token service refuses them, the login fails, nothing stored.
        r = d.berth("login", "-u", "tester", "--password-stdin", reg.addr, input=b"wrong\n", check=False)
        assert r.returncode == 1 and tokens.refused and not os.path.exists(os.path.join(workdir, "dockercfg", "config.json"))
        d.berth("login", "-u", "tester", "--password-stdin", reg.addr, input=b"t0ken-pw\n")
        # With the stored credentials the token service is asked with Basic, and grants the pull.
        assert "Status: Downloaded newer image" in d.berth("pull", f"{reg.addr}/private/busybox:1").out
        assert ("repository:private/busybox:pull", "tester") in tokens.requests
        # Push: a pull,push token for the target, a pull token for the mount's source.
        d.berth("tag", f"{reg.addr}/private/busybox:1", f"{reg.addr}/private/copy:1")
        assert "Mounted from private/busybox" in d.berth("push", f"{reg.addr}/private/copy:1").out
        assert [sc for sc, u in tokens.requests if u == "tester" and sc.startswith("repository:private/copy:") and "push" in sc]
        assert ("repository:private/busybox:pull", "tester") in tokens.requests
        d.berth("rmi", f"{reg.addr}/private/copy:1")
        assert "Status: Downloaded newer image" in d.berth("pull", f"{reg.addr}/private/copy:1").out
    finally:
        reg.stop()
        tokens.stop()


def test_blob_redirects_get_no_credentials_and_429_waits(make_daemon, workdir, images):
    # A token registry whose blobs live elsewhere (a 307 to storage on another port, as
    # registries send clients to S3): the registry gets the Bearer token, the storage never.
    tokens = TokenService(workdir)
    base = os.path.join(workdir, "token-registry")
    os.makedirs(base)
    reg = Registry(base, auth=tokens.auth_config())
    storage = BlobStorage(reg.storage)
    proxy = RegistryProxy(reg.addr, redirect_blobs=storage)
    try:
        reg.push(images["bb-docker.tar"], "private/app:1", creds=("tester", "t0ken-pw"))
        d = make_daemon()
        d.extra_env["DOCKER_CONFIG"] = os.path.join(workdir, "dockercfg")
        d.start()
        d.berth("login", "-u", "tester", "--password-stdin", proxy.addr, input=b"t0ken-pw\n")
        started = time.monotonic()
        assert "Status: Downloaded newer image" in d.berth("pull", f"{proxy.addr}/private/app:1").out
        # every blob: a 429 (Retry-After: 1 honoured), then served; never with Authorization
        assert time.monotonic() - started >= 1
        digests = {x for x, _ in storage.seen}
        assert len(digests) >= 2 and len(storage.seen) == 2 * len(digests), storage.seen
        assert all(auth is None for _, auth in storage.seen), storage.seen
        assert d.berth("run", "--rm", f"{proxy.addr}/private/app:1", "echo", "redirected").out == "redirected\n"
    finally:
        proxy.stop()
        storage.stop()
        reg.stop()
        tokens.stop()
