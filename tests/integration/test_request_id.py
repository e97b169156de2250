"""X-Request-Id: on every answer (check_contract asserts it on each response of every
test); a sane id from the client comes back, otherwise the server makes a fresh one."""
import uuid

import pytest

from ft_support import describe


@pytest.mark.parametrize("method,path,data", [
    ("GET", "/healthz", None), ("GET", "/api/v1/no-such-route", None),
    ("GET", "/api/v1/concerts/abc", None), ("DELETE", "/api/v1/concerts", None),
    ("POST", "/api/v1/users/signup", b"{broken"), ("GET", "/api/v1/users/me", None),
])
def test_sane_request_id_is_echoed(api, method, path, data):
    sent = f"it-{uuid.uuid4()}"
    resp = api.call(method, path, data=data, headers={"X-Request-Id": sent})
    assert resp.headers["X-Request-Id"] == sent, describe(resp)


def test_server_makes_distinct_ids(api):
    ids = {api.get("/healthz").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5, ids


def test_overlong_request_id_is_replaced(api):
    sent = "a" * 1000
    got = api.get("/healthz", headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert got and got != sent
