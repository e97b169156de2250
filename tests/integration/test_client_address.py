"""Whose address the ingress logs: X-Forwarded-For is believed only from a trusted proxy
(FT_TRUSTED_PROXIES), and then only its right-most untrusted hop. Seen in the request log
line (`http.request rid=… client=…`), the one place the address shows. The ingresses here
log at debug level, where successful reads such as /healthz have their line too."""
import re
import time
import uuid

import pytest

from pipeline_helpers import Ingress
from test_startup import STRONG, start

FORGED = "203.0.113.66"   # what a client writes to pass for someone else
REAL = "198.51.100.23"    # what a trusted proxy appends: the address it saw


def client_logged(ingress, forwarded):
    """Sends one request with the given X-Forwarded-For; returns the client= of its log line."""
    rid = "xff-" + uuid.uuid4().hex
    resp = ingress.api.get("/healthz", headers={"X-Request-Id": rid, "X-Forwarded-For": forwarded})
    assert resp.status_code == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = re.search(rf"http\.request rid={rid} client=(\S+) ", ingress.text())
        if found:
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no request line for {rid}:\n{ingress.tail()}")


@pytest.mark.parametrize("trusted", [None, "192.0.2.1, 10.0.0.0/8"], ids=["nobody", "others"])
def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_believed(tmp_path, trusted):
    settings = {} if trusted is None else {"FT_TRUSTED_PROXIES": trusted}
    ingress = Ingress(str(tmp_path), name="untrusted", FT_LOG_LEVEL="debug", **settings)
    try:
        assert client_logged(ingress, FORGED) == "127.0.0.1"
        assert client_logged(ingress, f"{FORGED}, 10.0.0.5") == "127.0.0.1"
        assert FORGED not in ingress.text()
    finally:
        ingress.stop()


def test_a_trusted_proxy_is_believed_only_for_the_hop_it_added(tmp_path):
    ingress = Ingress(str(tmp_path), name="behindproxy", FT_LOG_LEVEL="debug", FT_TRUSTED_PROXIES="127.0.0.1")
    try:
        # The client forged the left part; the proxy (127.0.0.1 here) appended what it saw.
        assert client_logged(ingress, f"{FORGED}, {REAL}") == REAL
        # A hop that is not an address is never copied into the log.
        assert client_logged(ingress, "<script>") == "127.0.0.1"
        assert "<script>" not in ingress.text()
    finally:
        ingress.stop()


def test_a_malformed_trusted_proxy_list_stops_start_up_naming_it():
    result = start(FT_JWT_SECRET=STRONG, FT_TRUSTED_PROXIES="10.0.0.0/8, nginx")
    assert result.returncode != 0
    assert "FT_TRUSTED_PROXIES" in result.stderr and "nginx" in result.stderr, result.stderr
