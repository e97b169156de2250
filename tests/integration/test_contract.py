"""The spec is a valid description, and it describes exactly the routes the server serves."""
import os
import re
import subprocess

from jsonschema import Draft202012Validator

from ft_support import RESOLVER, SPEC, assert_error, deref, operations

# The buyer's web page (web/) is served by ingress/static_files.c before the route table is
# consulted, so --print-routes, which prints the API's route table, does not list it. The
# spec documents it under the tag "page"; these are its operations, served for every path
# `/` and `/web/<file>` (test_the_page_is_served_as_documented checks them over HTTP).
PAGE_ROUTES = {("GET", "/"), ("HEAD", "/"), ("GET", "/web/{file}"), ("HEAD", "/web/{file}")}


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_served_routes_equal_spec_operations():
    done = subprocess.run([os.environ["FT_INGRESS_BIN"], "--print-routes"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"--print-routes failed: {done.stdout!r} {done.stderr!r}"
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    served = set()
    for line in lines:
        assert re.fullmatch(r"[A-Z]+ /\S*", line), f"unexpected route line {line!r}"
        method, path = line.split(" ")
        served.add((method, path))
    assert len(served) == len(lines), f"duplicate routes in {lines}"
    assert served & PAGE_ROUTES == set(), "the page's paths are not the route table's"
    served |= PAGE_ROUTES
    documented = set(operations())
    page = {key for key, op in operations().items() if "page" in op.get("tags", [])}
    assert page == PAGE_ROUTES, "the spec's tag page names exactly the page's operations"
    assert served - documented == set(), "served but not in schemas/openapi.yaml"
    assert documented - served == set(), "in schemas/openapi.yaml but not served"


def test_every_schema_in_spec_is_valid_json_schema():
    checked = 0
    for name, schema in SPEC["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        checked += 1
    for _, node in _walk(SPEC):
        if "schema" in node and isinstance(node["schema"], dict):
            Draft202012Validator.check_schema(node["schema"])
            checked += 1
    assert checked > 20


def test_every_ref_resolves():
    refs = [node["$ref"] for _, node in _walk(SPEC) if isinstance(node.get("$ref"), str)]
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        RESOLVER.resolve(ref)


def test_operations_document_their_errors():
    for (method, path), op in operations().items():
        codes = set(op["responses"])
        assert any(c.startswith("2") for c in codes), f"{method} {path}: no success"
        params = [deref(p) for p in op.get("parameters", [])]
        for name in re.findall(r"{([^}]+)}", path):
            assert any(p["in"] == "path" and p["name"] == name for p in params), (path, name)
            assert "400" in codes, f"{method} {path}: a path id can be invalid"
        if op.get("security"):
            assert "401" in codes, f"{method} {path}: authenticated, no 401"
        if "requestBody" in op:
            assert {"400", "413", "415"} <= codes, f"{method} {path}: body errors"
        if path.startswith("/api/"):
            assert "503" in codes, f"{method} {path}: needs PostgreSQL, no 503"
        for code, answer in op["responses"].items():
            answer = deref(answer)
            assert "X-Request-Id" in answer.get("headers", {}), f"{method} {path} {code}"


def test_the_page_is_served_as_documented(api):
    """GET and HEAD of / and /web/{file}: files with their types and ETags, 304, and
    nothing outside FT_WEB_ROOT (the session's server serves the repository's web/)."""
    index = api.get("/")
    assert index.status_code == 200 and "<html" in index.body.lower()
    assert index.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in index.headers["Content-Security-Policy"]
    head = api.call("HEAD", "/")
    assert head.status_code == 200 and head.headers["ETag"] == index.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(index.content))
    again = api.get("/", headers={"If-None-Match": index.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    script = api.get("/web/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    config = api.get("/web/config.json")
    assert config.status_code == 200 and config.body["payments"]["provider"] in ("off", "imitation", "portone")
    assert_error(api.get("/web/no-such-file.js"), 404, "NOT_FOUND")
    assert_error(api.get("/web/CMakeLists.txt"), 404, "NOT_FOUND")
    assert_error(api.get("/web/.hidden"), 400, "INVALID_PATH")
    assert_error(api.get("/web/a..b.js"), 400, "INVALID_PATH")
    assert_error(api.get("/web/a/b.js"), 404, "ROUTE_NOT_FOUND")  # one segment, like any {…}
    # a client that does not normalise the path (requests would): raw bytes on the socket
    for path in ("/web/..", "/web/%2e%2e"):
        up = api.raw("GET", path, [], {})
        assert up.status_code == 400 and up.json()["error"]["code"] == "INVALID_PATH", path
    assert_error(api.raw("GET", "/web/../README.md", [], {}), 404, "ROUTE_NOT_FOUND")
    refused = api.call("POST", "/", json_body={})
    assert_error(refused, 405, "METHOD_NOT_ALLOWED")
    assert refused.headers["Allow"] == "GET, HEAD"
