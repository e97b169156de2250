"""Helpers shared by the integration tests: the OpenAPI document, check_contract,
an HTTP client that checks every answer against it, raw HTTP for oversized bodies,
and small builders of accounts and catalog data."""
import http.client
import io
import json
import pathlib
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime

import requests
import yaml
from jsonschema import Draft202012Validator, FormatChecker, RefResolver
from requests.structures import CaseInsensitiveDict

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "schemas" / "openapi.yaml").read_text(encoding="utf-8"))
RESOLVER = RefResolver(base_uri="", referrer=SPEC)

# The secret the server under test is started with, so that tests can forge tokens.
JWT_SECRET = secrets.token_hex(32)
MAX_BODY = 16384
MAX_ID = 9223372036854775807

FORMATS = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def parse_time(text):
    """An RFC 3339 timestamp from the server as an aware datetime."""
    assert RFC3339.match(text), f"not RFC 3339: {text!r}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = RESOLVER.resolve(node["$ref"])[1]
    return node


def operations():
    """{(METHOD, template): operation} for every operation in the spec."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {(m.upper(), path): op for path, item in SPEC["paths"].items()
            for m, op in item.items() if m in methods}


def template_of(path):
    """The spec's path template that `path` matches, or None."""
    path = path.split("?", 1)[0]
    for template in SPEC["paths"]:
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def describe(resp):
    return f"HTTP {resp.status_code} {dict(resp.headers)} {resp.text[:600]!r}"


def validate(instance, schema, what):
    validator = Draft202012Validator(schema, resolver=RESOLVER, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{what}: body breaks the spec: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]) + f"\nbody: {instance!r}"[:1500]


def check_contract(resp, method, path_template):
    """Assert that `resp` is an answer the spec documents for this operation and
    return its decoded body (JSON value, text for text/plain, None when empty).
    `path_template` None means no route has that path (404 ROUTE_NOT_FOUND);
    a template without this method must answer 405 METHOD_NOT_ALLOWED."""
    what = f"{method} {path_template}"
    status = str(resp.status_code)
    assert resp.status_code != 500, f"{what}: 500 is never a right answer: {describe(resp)}"
    op = operations().get((method.upper(), path_template))
    head_of_get = op is None and method.upper() == "HEAD"
    if head_of_get:  # HEAD is GET without the body wherever GET is served (api-contract.md)
        op = operations().get(("GET", path_template))
        head_of_get = op is not None
    if op is not None:
        documented = op["responses"]
        assert status in documented, \
            f"{what}: status {status} not documented ({sorted(documented)}): {describe(resp)}"
        answer = deref(documented[status])
    elif path_template is None:
        assert status == "404", f"{what}: unknown path must be 404: {describe(resp)}"
        answer = SPEC["components"]["responses"]["RouteNotFound"]
    else:
        assert status == "405", f"{what}: unserved method must be 405: {describe(resp)}"
        answer = SPEC["components"]["responses"]["MethodNotAllowed"]

    for name, header in answer.get("headers", {}).items():
        header = deref(header)
        value = resp.headers.get(name)
        if header.get("required"):
            assert value, f"{what}: header {name} missing: {describe(resp)}"
        if value is not None:
            validate(value, header["schema"], f"{what} header {name}")

    content = answer.get("content", {})
    media = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if head_of_get:
        assert not resp.content and (not content or media in content), f"{what}: {describe(resp)}"
        return None
    if not content:
        assert not resp.content, f"{what}: body not documented: {describe(resp)}"
        return None
    assert media in content, f"{what}: Content-Type {media!r} not in {list(content)}"
    if media == "application/json":
        try:
            body = json.loads(resp.content.decode("utf-8"))
        except ValueError as exc:
            raise AssertionError(f"{what}: body is not JSON ({exc}): {describe(resp)}")
        validate(body, content[media]["schema"], what)
        return body
    return resp.text


def assert_error(resp, status, code, field=None):
    assert resp.status_code == status, f"expected {status} {code}: {describe(resp)}"
    error = resp.json()["error"]
    assert error["code"] == code, f"expected {status} {code}: {describe(resp)}"
    if field is not None:
        assert error.get("field") == field, f"expected field {field!r}: {describe(resp)}"
    return error


_NO_JSON = object()


class Api:
    """requests over the server under test; every answer goes through check_contract."""

    def __init__(self, base, port):
        self.base, self.port = base, port

    def call(self, method, path, *, token=None, json_body=_NO_JSON, data=None,
             headers=None, params=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if json_body is not _NO_JSON:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        resp = requests.request(method, self.base + path, data=data, headers=hdrs,
                                params=params, timeout=30, allow_redirects=False)
        resp.body = check_contract(resp, method, template_of(path))
        return resp

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=_NO_JSON, **kw):
        return self.call("POST", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def healthy(self):
        resp = self.get("/healthz")
        assert resp.status_code == 200, f"server unhealthy: {describe(resp)}"

    def raw(self, method, path, body_parts, headers, chunked=False):
        """Send a request over a plain socket (for bodies the server may refuse
        before reading them all) and return a checked RawResponse."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                 "Connection: close"] + [f"{k}: {v}" for k, v in headers.items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            parts = [b"%x\r\n%s\r\n" % (len(p), p) for p in body_parts] + [b"0\r\n\r\n"]
        else:
            lines.append(f"Content-Length: {sum(len(p) for p in body_parts)}")
            parts = list(body_parts)
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        resp = RawResponse(_exchange(self.port, [head] + parts))
        resp.body = check_contract(resp, method, template_of(path))
        return resp


def _exchange(port, parts):
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        try:
            for part in parts:
                sock.sendall(part)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # broken pipe, reset, or not connected any more (ENOTCONN)
            pass  # the server may answer and stop reading early; read what it said
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
    assert received, "the server closed the connection without an answer"
    return received


class _BytesSocket:
    def __init__(self, data):
        self._file = io.BytesIO(data)

    def makefile(self, *args, **kwargs):
        return self._file


class RawResponse:
    def __init__(self, data):
        parsed = http.client.HTTPResponse(_BytesSocket(data))
        parsed.begin()
        self.status_code = parsed.status
        self.headers = CaseInsensitiveDict(parsed.getheaders())
        self.content = parsed.read()
        self.text = self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


@dataclass
class Account:
    id: int
    email: str
    password: str
    name: str
    token: str


def random_email(prefix="user"):
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


def login(api, email, password):
    resp = api.post("/api/v1/users/login", {"email": email, "password": password})
    assert resp.status_code == 200, describe(resp)
    return resp.body["accessToken"]


def new_user(api, name="Test User"):
    email, password = random_email(), "pw-" + secrets.token_hex(8)
    resp = api.post("/api/v1/users/signup", {"email": email, "password": password, "name": name})
    assert resp.status_code == 201, describe(resp)
    return Account(resp.body["id"], email, password, name, login(api, email, password))


LAYOUT = [{"seats": 3, "grade": "VIP", "price": 150000},
          {"seats": 4, "grade": "R", "price": 120000},
          {"seats": 2, "grade": "A", "price": 0}]


def create_venue(api, token, name="Test Hall", rows=LAYOUT):
    resp = api.post("/api/v1/venues", {"name": name, "rows": rows}, token=token)
    assert resp.status_code == 201, describe(resp)
    return resp.body


def create_concert(api, token, title="Test Concert", artist="Test Artist", **extra):
    resp = api.post("/api/v1/concerts", {"title": title, "artist": artist, **extra}, token=token)
    assert resp.status_code == 201, describe(resp)
    return resp.body


def create_schedule(api, token, concert_id, venue_id, starts_at="2026-12-24T19:00:00+09:00"):
    resp = api.post(f"/api/v1/concerts/{concert_id}/schedules",
                    {"venueId": venue_id, "startsAt": starts_at}, token=token)
    assert resp.status_code == 201, describe(resp)
    return resp.body


# The routes that take a body: path (formatted with the catalog context), whether an
# admin token is needed, and a valid body built from the context.
BODY_ROUTES = {
    "signup": ("/api/v1/users/signup", False,
               lambda c: {"email": random_email("body"), "password": "pw-12345678", "name": "B"}),
    "login": ("/api/v1/users/login", False,
              lambda c: {"email": c["email"], "password": c["password"]}),
    "concert": ("/api/v1/concerts", True,
                lambda c: {"title": "T", "artist": "A", "description": "D"}),
    "venue": ("/api/v1/venues", True,
              lambda c: {"name": "V", "rows": [{"seats": 2, "grade": "S", "price": 1000}]}),
    "schedule": ("/api/v1/concerts/{concert}/schedules", True,
                 lambda c: {"venueId": c["venue"], "startsAt": "2026-12-24T19:00:00+09:00"}),
}


# --- Prometheus metrics -------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(api):
    """/metrics: its text and its samples as (name, {label: value}, value)."""
    resp = api.get("/metrics")
    assert resp.status_code == 200, describe(resp)
    assert "version=0.0.4" in resp.headers["Content-Type"], resp.headers["Content-Type"]
    samples = []
    for line in resp.body.splitlines():
        if line.strip() and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}"
            labels = dict(LABEL.findall(match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    return resp.body, samples


def matching(samples, name, **labels):
    """The values of the samples of `name` whose labels include `labels`."""
    return [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in labels.items())]
