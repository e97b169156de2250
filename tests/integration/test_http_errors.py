"""Bad requests that are not about the JSON itself: path ids, unknown routes, wrong
methods, content types and oversized bodies. Each gets its documented 4xx, writes
nothing, and leaves the server healthy."""
import json
import socket

import pytest

from ft_support import BODY_ROUTES, MAX_BODY, assert_error, describe

BAD_IDS = ["0", "-1", "-0", "abc", "1.5", "1e3", "0x10", "1abc", "99999999999999999999",
           "9223372036854775808", "18446744073709551617", "9" * 100]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_path_id_is_invalid_id(api, admin, catalog, unchanged, bad):
    schedule = {"venueId": catalog["venue"], "startsAt": "2026-12-24T19:00:00+09:00"}
    with unchanged():
        assert_error(api.get(f"/api/v1/concerts/{bad}"), 400, "INVALID_ID")
        assert_error(api.get(f"/api/v1/seats/{bad}"), 400, "INVALID_ID")
        resp = api.post(f"/api/v1/concerts/{bad}/schedules", schedule, token=admin.token)
        assert_error(resp, 400, "INVALID_ID")


@pytest.mark.parametrize("path", ["/index.html", "/web", "/api", "/api/v1/nope", "/api/v1/users",
                                  "/api/v2/concerts", "/api/v1/concerts/1/extra",
                                  "/api/v1/seats/1/2", "/API/V1/CONCERTS", "/healthz/x"])
def test_unknown_route_is_route_not_found(api, unchanged, path):
    with unchanged():
        assert_error(api.get(path), 404, "ROUTE_NOT_FOUND")
        assert_error(api.call("POST", path, json_body={}), 404, "ROUTE_NOT_FOUND")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/api/v1/concerts", {"GET", "POST"}),
    ("PUT", "/api/v1/concerts/1", {"GET"}),
    ("PATCH", "/api/v1/concerts/1", {"GET"}),
    ("GET", "/api/v1/concerts/1/schedules", {"POST"}),
    ("GET", "/api/v1/users/signup", {"POST"}),
    ("GET", "/api/v1/users/login", {"POST"}),
    ("POST", "/api/v1/users/me", {"GET"}),
    ("GET", "/api/v1/venues", {"POST"}),
    ("DELETE", "/api/v1/seats/1", {"GET"}),
    ("GET", "/api/v1/payments", {"POST"}),
    ("GET", "/api/v1/payments/prepare", {"POST"}),  # not the payment of reservation "prepare"
    ("GET", "/api/v1/payments/webhook", {"POST"}),
    ("POST", "/healthz", {"GET"}),
    ("PUT", "/readyz", {"GET"}),
    ("POST", "/metrics", {"GET"}),
])
def test_wrong_method_is_405_with_allow(api, unchanged, method, path, allowed):
    with unchanged():
        resp = api.call(method, path)
        assert_error(resp, 405, "METHOD_NOT_ALLOWED")
    listed = {m.strip().upper() for m in resp.headers["Allow"].split(",")}
    assert listed - {"HEAD", "OPTIONS"} == allowed, resp.headers["Allow"]


@pytest.mark.parametrize("path,status,code", [
    ("/api/v1/concerts/{concert}%00junk", 400, "INVALID_ID"),  # not concert {concert}: the NUL is no end
    ("/api/v1/concerts%2F{concert}", 404, "ROUTE_NOT_FOUND"),  # an escaped slash makes no segment
    ("/healthz%00x", 404, "ROUTE_NOT_FOUND"),
])
def test_escapes_that_would_change_the_path_are_not_decoded(api, catalog, unchanged, path, status, code):
    with unchanged():
        assert_error(api.get(path.format(**catalog)), status, code)


def test_escapes_of_plain_characters_are_decoded(api, catalog):
    escaped = "".join(f"%{ord(c):02X}" for c in str(catalog["concert"]))
    resp = api.get(f"/api/v1/concerts/{escaped}")
    assert resp.status_code == 200 and resp.body["id"] == catalog["concert"], describe(resp)


@pytest.mark.parametrize("path", ["/api/v1/concerts", "/healthz", "/api/v1/concerts/{concert}"])
def test_head_answers_as_get_without_the_body(api, catalog, path):
    path = path.format(**catalog)
    got, head = api.get(path), api.call("HEAD", path)
    assert got.status_code == head.status_code == 200, describe(head)
    assert head.content == b"" and head.headers["Content-Type"] == got.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(got.content))


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/xml",
                                   "application/jsonx", "application/json x", "application/json ,x"])
def test_non_json_content_type_is_415(api, admin, catalog, unchanged, route, ctype):
    path, needs_admin, valid = BODY_ROUTES[route]
    with unchanged():
        resp = api.call("POST", path.format(**catalog), data=json.dumps(valid(catalog)).encode(),
                        headers={"Content-Type": ctype},
                        token=admin.token if needs_admin else None)
        assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")


def padded(body, size):
    """`body` as JSON, then the spaces that make it exactly `size` bytes (whitespace around a
    value is JSON; an unknown member would be refused, 400 UNKNOWN_FIELD)."""
    out = json.dumps(body).encode()
    out += b" " * (size - len(out))
    assert len(out) == size
    return out


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_413(api, admin, catalog, unchanged, route, chunked):
    path, needs_admin, valid = BODY_ROUTES[route]
    headers = {"Content-Type": "application/json"}
    if needs_admin:
        headers["Authorization"] = f"Bearer {admin.token}"
    for size in (MAX_BODY + 1, 4 * MAX_BODY):
        body = padded(valid(catalog), size)
        parts = [body[i:i + 4096] for i in range(0, len(body), 4096)]
        with unchanged():
            resp = api.raw("POST", path.format(**catalog), parts, headers, chunked=chunked)
            assert_error(resp, 413, "BODY_TOO_LARGE")


def test_a_chunked_body_far_beyond_the_limit_is_cut_off(api):
    """Without a length, only the server can end a body that never ends: past the limit
    and a mebibyte more it closes the connection instead of reading on."""
    head = ("POST /api/v1/users/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    sent = 0
    with socket.create_connection(("127.0.0.1", api.port), timeout=15) as sock:
        sock.sendall(head)
        with pytest.raises(OSError):  # reset, or a broken pipe, once the server has closed
            for _ in range(512):  # 32 MiB, if nobody stopped it
                sock.sendall(chunk)
                sent += len(chunk)
    assert sent < 24 * 2**20, "cut off after the limit and a mebibyte, and the sockets' buffers"
    api.healthy()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_of_exactly_the_limit_is_accepted(api, chunked):
    body = padded(BODY_ROUTES["signup"][2]({}), MAX_BODY)
    resp = api.raw("POST", "/api/v1/users/signup", [body[:5000], body[5000:]],
                   {"Content-Type": "application/json"}, chunked=chunked)
    assert resp.status_code == 201, describe(resp)


def test_headers_fit_in_the_connections_memory_up_to_its_limit(api):
    """FT_HTTP_CONNECTION_MEMORY_BYTES (16 KB by default) holds a request's headers: 12 KB
    of them are answered; 20 KB get 431 from libmicrohttpd, and the server goes on."""
    def health_with(pad):
        with socket.create_connection(("127.0.0.1", api.port), timeout=15) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {'a' * pad}\r\n"
                         "Connection: close\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 "), f"no HTTP answer: {answer[:100]!r}"
        return int(answer.split(b" ", 2)[1])

    assert health_with(12 * 1024) == 200
    assert health_with(20 * 1024) == 431
    api.healthy()
