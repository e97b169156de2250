"""deploy/nginx/ checked by the nginx binary itself (Debian 12's, the one the nginx image
installs): `nginx -t`, then the configuration served for real on loopback in front of a
stand-in ingress that records what it receives: the HTTP -> HTTPS redirect, the ACME
challenge, the forwarding headers, the rate limits and the JSON errors.

The configuration is rendered into a temporary folder first: the absolute paths
(certificates, logs, temporary files, ACME webroot) move under it, the ports 80 and 443
become free loopback ports, the upstream host names (which exist only inside compose)
become the stand-in's address, and a throwaway self-signed certificate stands in for
certbot's. nginx runs as an unprivileged user (nobody when the tests run as root), so the
test never needs nor touches ports 80/443 or a system nginx."""
import http.server
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from deploy_support import ROOT, compose, instances, read_text

NGINX_DIR = os.path.join(ROOT, "deploy", "nginx")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PATHS = {  # production prefix -> folder of the rendered copy
    "/etc/letsencrypt/live/fairticket/": "tls/",
    "/var/log/nginx/": "logs/",
    "/var/lib/nginx/": "lib/",
    "/var/www/certbot": "www",
}
UPSTREAM_SERVER = re.compile(r"^(\s*server\s+)([A-Za-z0-9.-]+):(\d+)", re.M)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unprivileged():
    """subprocess arguments that run a command as nobody when we are root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


class Site:
    """A rendered copy of deploy/nginx/ in a temporary folder."""

    def __init__(self, upstream_port, edit=None):
        self.dir = tempfile.mkdtemp(prefix="ft-nginx-")
        os.chmod(self.dir, 0o755)
        for sub in ("conf", "tls", "logs", "lib", "www/.well-known/acme-challenge"):
            os.makedirs(os.path.join(self.dir, sub))
        self.http_port, self.https_port = free_port(), free_port()
        self.conf = os.path.join(self.dir, "conf", "nginx.conf")
        text = self.render_main(read_text(os.path.join(NGINX_DIR, "nginx.conf")))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(edit(text) if edit else text)
        upstreams = read_text(os.path.join(NGINX_DIR, "upstreams.conf"))
        with open(os.path.join(self.dir, "conf", "upstreams.conf"), "w", encoding="utf-8") as f:
            f.write(UPSTREAM_SERVER.sub(rf"\g<1>127.0.0.1:{upstream_port}", upstreams))
        self.make_certificate()
        with open(os.path.join(self.dir, "www/.well-known/acme-challenge/token-1"), "w") as f:
            f.write("token-1.key-authorization")
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for parent, dirs, files in os.walk(self.dir):
                for name in [parent] + [os.path.join(parent, n) for n in dirs + files]:
                    os.chown(name, nobody.pw_uid, nobody.pw_gid)

    def render_main(self, text):
        for prefix, local in PATHS.items():
            assert prefix in text, f"nginx.conf no longer uses {prefix}: update PATHS in {__file__}"
            text = text.replace(prefix, os.path.join(self.dir, local))
        for port, local in ((80, self.http_port), (443, self.https_port)):
            text, count = re.subn(rf"^(\s*listen\s+){port}\b", rf"\g<1>127.0.0.1:{local}", text, flags=re.M)
            assert count == 1, f"nginx.conf should listen on {port} exactly once"
        return text

    def make_certificate(self):
        tls = os.path.join(self.dir, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", os.path.join(tls, "privkey.pem"), "-out", os.path.join(tls, "fullchain.pem")],
                       check=True, capture_output=True)
        self.certificate = os.path.join(tls, "fullchain.pem")

    def command(self, *extra):
        return [NGINX, "-e", "stderr", "-p", self.dir + "/", "-c", self.conf,
                "-g", f"pid {self.dir}/nginx.pid;" + "".join(extra)]

    def test_config(self):
        return subprocess.run(self.command() + ["-t"], capture_output=True, text=True, timeout=30,
                              **unprivileged())

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class StandIn(http.server.ThreadingHTTPServer):
    """The ingress's place: answers 200 JSON and records each request's method, path and headers."""
    daemon_threads = True

    def __init__(self):
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer, sent at once: headers and body in separate small
            # writes would wait on delayed ACKs (40 ms a request) and blur the bursts.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def answer(handler):
                length = int(handler.headers.get("Content-Length") or 0)
                handler.rfile.read(length)
                self.seen.append({"method": handler.command, "path": handler.path,
                                  "headers": {k.lower(): v for k, v in handler.headers.items()}})
                body = b'{"ok":true}'
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST = do_DELETE = answer

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Running:
    def __init__(self, site):
        self.site = site
        self.proc = subprocess.Popen(site.command("daemon off;"), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **unprivileged())
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, f"nginx exited: {self.proc.stdout.read().decode()}"
            try:
                socket.create_connection(("127.0.0.1", site.https_port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        self.session = requests.Session()  # kept-alive connections: a burst really is one
        self.http = f"http://127.0.0.1:{site.http_port}"
        self.https = f"https://127.0.0.1:{site.https_port}"

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def call(self, method, path, *, plain=False, **kw):
        base = self.http if plain else self.https
        return self.session.request(method, base + path, verify=self.site.certificate, allow_redirects=False,
                                    timeout=5, **kw)

    def stop(self):
        self.session.close()
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def nginx(stand_in):
    """nginx on the rendered configuration, fresh for each test (its rate-limit zones too)."""
    site = Site(stand_in.port)
    running = Running(site)
    yield running
    running.stop()
    site.remove()


def burst(nginx, method, path, count, **kw):
    """Sends `count` requests back to back; returns their statuses."""
    return [nginx.call(method, path, **kw).status_code for _ in range(count)]


def passed_before_limited(nginx, method, path, most=300, **kw):
    """Sends requests back to back until the first 429; returns how many passed before it,
    the seconds that took, and the 429 (None when none came)."""
    started, passed = time.monotonic(), 0
    while passed < most:
        resp = nginx.call(method, path, **kw)
        if resp.status_code == 429:
            return passed, time.monotonic() - started, resp
        assert resp.status_code == 200, resp.text
        passed += 1
    return passed, time.monotonic() - started, None


def assert_limited(nginx, method, path, rate, burst_size, **kw):
    """The zone lets the burst through at once, then about `rate` a second, then answers 429."""
    passed, seconds, refused = passed_before_limited(nginx, method, path, **kw)
    assert refused is not None, f"{path}: {passed} requests in {seconds:.2f} s and never a 429"
    assert passed >= burst_size + 1, f"{path}: limited after {passed}, before its burst of {burst_size}"
    assert passed <= burst_size + 1 + rate * seconds + 1, f"{path}: {passed} passed in {seconds:.2f} s"
    return refused


# --- nginx -t ------------------------------------------------------------------------------

def test_nginx_t_accepts_the_configuration():
    site = Site(free_port())
    try:
        result = site.test_config()
        assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr
    finally:
        site.remove()


def test_nginx_t_refuses_a_broken_configuration():
    """The check above can fail: the same files with one mistake do not pass."""
    site = Site(free_port(), edit=lambda text: text.replace("zone=ft_poll burst", "zone=ft_pol burst", 1))
    try:
        result = site.test_config()
        assert result.returncode != 0 and "ft_pol" in result.stderr, result.stderr
    finally:
        site.remove()


def test_the_worker_processes_do_not_run_as_root():
    user = re.search(r"^user\s+(\S+?);", read_text(os.path.join(NGINX_DIR, "nginx.conf")), re.M)
    assert user and user.group(1) not in ("root", "0"), "nginx.conf must name an unprivileged `user`"


def test_the_upstreams_are_the_compose_ingress_instances():
    services = compose()["services"]
    expected = {(name, services[name]["environment"]["FT_HTTP_PORT"]) for name in instances(services, "ingress")}
    found = set(UPSTREAM_SERVER.findall(read_text(os.path.join(NGINX_DIR, "upstreams.conf"))))
    assert {(host, port) for _, host, port in found} == expected


def test_nginx_reads_what_compose_mounts():
    service = compose()["services"]["nginx"]
    mounts = {volume.split(":")[1] for volume in service["volumes"]}
    assert {"/etc/nginx/fairticket", "/etc/letsencrypt", "/var/www/certbot"} <= mounts, mounts
    certbot = {volume.split(":")[1] for volume in compose()["services"]["certbot"]["volumes"]}
    assert {"/etc/letsencrypt", "/var/www/certbot"} <= certbot, certbot


# --- served for real -------------------------------------------------------------------------

def test_http_redirects_to_https(nginx, stand_in):
    for method in ("GET", "POST"):
        resp = nginx.call(method, "/api/v1/concerts?page=1", plain=True, headers={"Host": "tickets.example"})
        assert resp.status_code == 301, resp.text
        assert resp.headers["Location"] == "https://tickets.example/api/v1/concerts?page=1"
    assert stand_in.seen == [], "a plain-HTTP request reached the ingress"


def test_the_acme_challenge_is_answered_over_http(nginx):
    resp = nginx.get("/.well-known/acme-challenge/token-1", plain=True)
    assert resp.status_code == 200 and resp.text == "token-1.key-authorization"
    assert nginx.get("/nginx-healthz", plain=True).status_code == 200


def test_https_forwards_the_client_and_the_request_id(nginx, stand_in):
    resp = nginx.get("/api/v1/concerts", headers={"Host": "tickets.example", "X-Forwarded-For": "203.0.113.66",
                                                  "X-Request-Id": "rid-from-client"})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    seen = stand_in.seen[-1]["headers"]
    # The forged hop stays where the client put it; nginx appends the peer it really saw.
    assert seen["x-forwarded-for"] == "203.0.113.66, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-real-ip"] == "127.0.0.1"
    assert seen["host"] == "tickets.example"
    assert seen["x-request-id"] == "rid-from-client"
    assert seen.get("connection", "").lower() != "close", "upstream connections are not kept alive"
    nginx.get("/api/v1/concerts")
    assert re.fullmatch(r"[0-9a-f]{32}", stand_in.seen[-1]["headers"]["x-request-id"]), "nginx made no request id"


def test_metrics_are_not_served_to_the_internet(nginx, stand_in):
    assert nginx.get("/metrics").status_code == 404
    assert not [r for r in stand_in.seen if r["path"] == "/metrics"]


def test_reservations_are_limited_strictly_and_answered_in_json(nginx):
    refused = assert_limited(nginx, "POST", "/api/v1/reservations", 2, 5, json={"scheduleId": 1, "quantity": 1})
    assert refused.json()["error"]["code"] == "RATE_LIMITED" and refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"].startswith("application/json")
    # Reading one's reservations on the same path is not a reservation attempt.
    assert burst(nginx, "GET", "/api/v1/reservations", 12) == [200] * 12


def test_login_and_signup_are_limited_strictly(nginx):
    assert_limited(nginx, "POST", "/api/v1/users/login", 2, 5, json={})
    assert nginx.call("POST", "/api/v1/users/signup", json={}).status_code == 429, "one zone for both"


def test_polls_have_a_looser_limit(nginx):
    assert_limited(nginx, "GET", "/api/v1/reservations/requests/some-token", 10, 20)


def test_everything_else_has_the_general_limit(nginx):
    assert_limited(nginx, "GET", "/api/v1/concerts", 30, 60)


def test_an_unreachable_ingress_is_a_json_503(stand_in):
    site = Site(free_port())  # nothing listens there
    running = Running(site)
    try:
        resp = running.get("/api/v1/concerts")
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "UNAVAILABLE", resp.text
    finally:
        running.stop()
        site.remove()


def test_a_body_beyond_nginx_s_limit_is_a_json_413(nginx, stand_in):
    resp = nginx.call("POST", "/api/v1/users/signup", data=b"{" + b" " * 70000 + b"}",
                      headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "BODY_TOO_LARGE", resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert not [r for r in stand_in.seen if r["path"] == "/api/v1/users/signup"], "not passed on"


def test_the_error_bodies_are_json():
    text = read_text(os.path.join(NGINX_DIR, "nginx.conf"))
    bodies = re.findall(r"return\s+(?:413|429|503)\s+'([^']*)'", text)
    assert len(bodies) == 3
    for body in bodies:
        json.loads(body.replace("\\n", ""))
