"""Which answers get an `http.request` line at the default level (info): errors and writes,
every time; successful reads (the polls of an on-sale, tens of thousands a second) only at
debug level, and so are 202s, whose handlers log the command they queued instead (a line
per accepted reservation, not two). The metrics count every answer either way."""
import re
import time
import uuid

from ft_support import create_schedule, describe
from pipeline_helpers import RESERVE, Ingress


def logged(ingress, rid, wait=2.0, event="http.request"):
    """The `event` line of request `rid`, or None when none came within `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        found = re.search(rf"^.*{re.escape(event)} rid={rid} .*$", ingress.text(), re.MULTILINE)
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


def test_an_accepted_reservation_is_logged_once_by_the_command_it_queued(tmp_path, api, admin, catalog, user):
    schedule = create_schedule(api, admin.token, catalog["concert"], catalog["venue"])["id"]
    ingress = Ingress(str(tmp_path), name="queued")  # started after the schedule: its catalog has it
    try:
        rid = "post-" + uuid.uuid4().hex
        resp = ingress.api.post(RESERVE, {"scheduleId": schedule, "quantity": 1}, token=user.token,
                                headers={"X-Request-Id": rid})
        assert resp.status_code == 202, describe(resp)
        line = logged(ingress, rid, event="reservation.queued")
        assert line is not None and "level=info" in line, ingress.tail()
        assert re.search(rf"user={user.id} schedule={schedule} partition=\d+ offset=\d+$", line), line
        # The log is written in batches every 20 ms (log.c): a second line would be there by now.
        assert logged(ingress, rid, wait=0.5) is None, ingress.tail()
    finally:
        ingress.stop()
