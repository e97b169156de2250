"""The spec is a valid description, and it describes exactly the routes the server serves."""
import os
import re
import subprocess

from jsonschema import Draft202012Validator

from ft_support import RESOLVER, SPEC, deref, operations


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
    documented = set(operations())
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
