"""Which answers get an `http.request` line at the default level (info): errors and writes,
every time; successful reads (the polls of an on-sale, tens of thousands a second) only at
debug level. The metrics count every answer either way."""
import re
import time
import uuid

from pipeline_helpers import Ingress


def logged(ingress, rid, wait=2.0):
    """The http.request line of request `rid`, or None when none came within `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        found = re.search(rf"^.*http\.request rid={rid} .*$", ingress.text(), re.MULTILINE)
        if found or time.monotonic() >= deadline:
            return found.group(0) if found else None
        time.sleep(0.05)


def call(ingress, method, path, **kwargs):
    rid = method.lower() + "-" + uuid.uuid4().hex
    resp = ingress.api.call(method, path, headers={"X-Request-Id": rid}, **kwargs)
    return rid, resp.status_code


def test_at_info_level_errors_and_writes_are_logged_and_successful_reads_are_not(tmp_path):
    ingress = Ingress(str(tmp_path), name="info")
    try:
        quiet, status = call(ingress, "GET", "/healthz")
        assert status == 200
        missing, status = call(ingress, "GET", "/api/v1/concerts/999999999")
        assert status == 404
        unauthorised, status = call(ingress, "POST", "/api/v1/reservations", json_body={"scheduleId": 1, "quantity": 1})
        assert status == 401
        line = logged(ingress, missing)
        assert line is not None and "level=info" in line and "status=404" in line, ingress.tail()
        line = logged(ingress, unauthorised)
        assert line is not None and "method=POST" in line and "status=401" in line, ingress.tail()
        # The 404 and the POST were answered after the /healthz, so its line would be there by now.
        assert logged(ingress, quiet, wait=0) is None, ingress.tail()
        metrics = ingress.api.get("/metrics").text
        assert re.search(r'ft_http_requests_total\{route="/healthz",method="GET",status="200"\} [1-9]', metrics)
    finally:
        ingress.stop()


def test_at_debug_level_successful_reads_are_logged_too(tmp_path):
    ingress = Ingress(str(tmp_path), name="debug", FT_LOG_LEVEL="debug")
    try:
        rid, status = call(ingress, "GET", "/healthz")
        assert status == 200
        line = logged(ingress, rid)
        assert line is not None and "level=debug" in line and "status=200" in line, ingress.tail()
    finally:
        ingress.stop()
