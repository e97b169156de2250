"""Tests of the PortOne REST v1 imitation (tests/portone/portone_imitation.py)."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "portone_imitation.py")
KEY = "0123456789"          # begins with 0: must arrive intact
SECRET = "-s3cr3t-0-secret"  # begins with "-", as a random URL-safe secret may: must arrive as a value


def start(extra=()):
    proc = subprocess.Popen(
        ["/usr/bin/python3", SCRIPT, "--port", "0", f"--imp-key={KEY}", f"--imp-secret={SECRET}",
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening http://127.0.0.1:"), line
    return proc, line.split(" ", 1)[1]


@pytest.fixture(scope="module")
def server():
    proc, base = start()
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture()
def base(server):
    r = requests.post(server + "/__control/reset", timeout=5)
    assert r.status_code == 200
    return server


def token(base):
    r = requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET}, timeout=5)
    assert r.status_code == 200
    return r.json()["response"]["access_token"]


def auth(base):
    return {"Authorization": "Bearer " + token(base)}


def make_payment(base, **kw):
    spec = {"merchant_uid": "ft-%d" % time.time_ns(), "amount": 50000, "status": "paid",
            "currency": "KRW", "name": "Concert A x2", "buyer_name": "Kim"}
    spec.update(kw)
    r = requests.post(base + "/__control/payments", json=spec, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def cancel(base, headers, **body):
    return requests.post(base + "/payments/cancel", json=body, headers=headers, timeout=5)


def fault(base, **spec):
    r = requests.post(base + "/__control/faults", json=spec, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


# ---- getToken -------------------------------------------------------------------------

def test_get_token_json_envelope(base):
    t0 = int(time.time())
    r = requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET}, timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"code", "message", "response"}
    assert body["code"] == 0 and body["message"] is None
    resp = body["response"]
    assert isinstance(resp["access_token"], str) and len(resp["access_token"]) >= 20
    assert abs(resp["now"] - t0) <= 2
    assert 1799 <= resp["expired_at"] - resp["now"] <= 1801  # 30 minutes


def test_get_token_form_encoded(base):
    r = requests.post(base + "/users/getToken", data={"imp_key": KEY, "imp_secret": SECRET}, timeout=5)
    assert r.status_code == 200 and r.json()["code"] == 0
    assert r.json()["response"]["access_token"]


def test_get_token_key_with_leading_zero_must_match_exactly(base):
    # "123456789" is what a key "0123456789" becomes if parsed as a number somewhere
    r = requests.post(base + "/users/getToken", json={"imp_key": KEY.lstrip("0"), "imp_secret": SECRET}, timeout=5)
    assert r.status_code == 401


@pytest.mark.parametrize("body", [
    {"imp_key": KEY, "imp_secret": "wrong"},
    {"imp_key": "wrong", "imp_secret": SECRET},
    {"imp_key": KEY},
    {},
])
def test_get_token_bad_credentials_401_with_envelope(base, body):
    r = requests.post(base + "/users/getToken", json=body, timeout=5)
    assert r.status_code == 401
    j = r.json()
    assert j["code"] != 0 and j["response"] is None and isinstance(j["message"], str)


def test_get_token_reuses_live_token(base):
    a = requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET}, timeout=5).json()
    b = requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET}, timeout=5).json()
    assert a["response"]["access_token"] == b["response"]["access_token"]
    assert a["response"]["expired_at"] == b["response"]["expired_at"]


# ---- authorization ----------------------------------------------------------------------

def test_payment_requires_token(base):
    p = make_payment(base)
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "nonsense"}):
        r = requests.get(base + "/payments/" + p["imp_uid"], headers=headers, timeout=5)
        assert r.status_code == 401
        assert r.json()["code"] != 0 and r.json()["response"] is None


def test_raw_token_without_bearer_is_accepted(base):
    p = make_payment(base)
    r = requests.get(base + "/payments/" + p["imp_uid"], headers={"Authorization": token(base)}, timeout=5)
    assert r.status_code == 200 and r.json()["response"]["imp_uid"] == p["imp_uid"]


def test_token_expiry(base):
    r = requests.post(base + "/__control/token", json={"lifetime_seconds": 1.0}, timeout=5)
    assert r.json()["lifetime_seconds"] == 1.0
    p = make_payment(base)
    h = auth(base)
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).status_code == 200
    time.sleep(2.2)  # 1 s, plus the re-use extension (lifetime/6) never reached here
    r = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
    assert r.status_code == 401
    assert r.json()["code"] != 0
    # a new token is issued after expiry and works
    h2 = auth(base)
    assert h2 != h
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h2, timeout=5).status_code == 200


def test_expire_all_tokens(base):
    p = make_payment(base)
    h = auth(base)
    requests.post(base + "/__control/token", json={"expire_all": True}, timeout=5)
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).status_code == 401


# ---- GET /payments/{imp_uid} ----------------------------------------------------------

def test_get_payment_fields(base):
    p = make_payment(base, amount=77000, merchant_uid="ft-order-1")
    r = requests.get(base + "/payments/" + p["imp_uid"], headers=auth(base), timeout=5)
    assert r.status_code == 200
    j = r.json()
    assert j["code"] == 0 and j["message"] is None
    pay = j["response"]
    assert pay["imp_uid"].startswith("imp_")
    assert pay["merchant_uid"] == "ft-order-1"
    assert pay["amount"] == 77000 and pay["cancel_amount"] == 0
    assert pay["currency"] == "KRW" and pay["status"] == "paid"
    assert pay["paid_at"] > 0 and pay["failed_at"] == 0 and pay["cancelled_at"] == 0
    assert pay["cancel_history"] == []
    for k in ("name", "buyer_name", "pay_method", "pg_provider", "pg_tid", "receipt_url", "started_at"):
        assert k in pay


def test_failed_and_ready_payments(base):
    h = auth(base)
    f = make_payment(base, status="failed")
    g = requests.get(base + "/payments/" + f["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["status"] == "failed" and g["failed_at"] > 0 and g["paid_at"] == 0 and g["fail_reason"]
    rd = make_payment(base, status="ready")
    g = requests.get(base + "/payments/" + rd["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["status"] == "ready" and g["paid_at"] == 0


def test_other_currency_is_reported(base):
    p = make_payment(base, currency="USD")
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=auth(base), timeout=5).json()
    assert g["response"]["currency"] == "USD"


def test_unknown_payment_404(base):
    r = requests.get(base + "/payments/imp_000000000000", headers=auth(base), timeout=5)
    assert r.status_code == 404
    j = r.json()
    assert j["code"] != 0 and j["response"] is None and j["message"]


def test_find_by_merchant_uid(base):
    p = make_payment(base, merchant_uid="ft-find-me")
    r = requests.get(base + "/payments/find/ft-find-me", headers=auth(base), timeout=5)
    assert r.status_code == 200 and r.json()["response"]["imp_uid"] == p["imp_uid"]
    assert requests.get(base + "/payments/find/nope", headers=auth(base), timeout=5).status_code == 404


def test_find_by_merchant_uid_and_status(base):
    paid = make_payment(base, merchant_uid="ft-find-status")
    failed = make_payment(base, merchant_uid="ft-find-status", status="failed")  # a later, failed try
    latest = requests.get(base + "/payments/find/ft-find-status", headers=auth(base), timeout=5)
    assert latest.json()["response"]["imp_uid"] == failed["imp_uid"]
    r = requests.get(base + "/payments/find/ft-find-status/paid", headers=auth(base), timeout=5)
    assert r.status_code == 200 and r.json()["response"]["imp_uid"] == paid["imp_uid"]
    none = requests.get(base + "/payments/find/ft-find-status/cancelled", headers=auth(base), timeout=5)
    assert none.status_code == 404 and none.json()["code"] != 0


# ---- POST /payments/cancel --------------------------------------------------------------

def test_full_cancel(base):
    p = make_payment(base, amount=30000)
    r = cancel(base, auth(base), imp_uid=p["imp_uid"], reason="amount mismatch", checksum=30000)
    assert r.status_code == 200
    j = r.json()
    assert j["code"] == 0
    pay = j["response"]
    assert pay["status"] == "cancelled" and pay["cancel_amount"] == 30000
    assert pay["cancelled_at"] > 0
    assert len(pay["cancel_history"]) == 1
    h0 = pay["cancel_history"][0]
    assert h0["amount"] == 30000 and h0["reason"] == "amount mismatch"
    assert set(h0) >= {"pg_tid", "amount", "cancelled_at", "reason", "receipt_url"}
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=auth(base), timeout=5).json()["response"]
    assert g["status"] == "cancelled" and g["cancel_amount"] == 30000


def test_partial_cancels_accumulate_then_full(base):
    p = make_payment(base, amount=10000)
    h = auth(base)
    j = cancel(base, h, imp_uid=p["imp_uid"], amount=3000, checksum=10000, reason="one").json()
    assert j["code"] == 0
    assert j["response"]["status"] == "paid" and j["response"]["cancel_amount"] == 3000
    j = cancel(base, h, imp_uid=p["imp_uid"], amount=2000, checksum=7000, reason="two").json()
    assert j["code"] == 0 and j["response"]["cancel_amount"] == 5000
    assert [c["amount"] for c in j["response"]["cancel_history"]] == [3000, 2000]
    # amount absent = the whole remaining amount
    j = cancel(base, h, imp_uid=p["imp_uid"], checksum=5000, reason="rest").json()
    assert j["code"] == 0
    assert j["response"]["status"] == "cancelled" and j["response"]["cancel_amount"] == 10000
    assert [c["reason"] for c in j["response"]["cancel_history"]] == ["one", "two", "rest"]


def test_cancel_by_merchant_uid(base):
    p = make_payment(base, merchant_uid="ft-by-merchant", amount=1000)
    j = cancel(base, auth(base), merchant_uid="ft-by-merchant", reason="x").json()
    assert j["code"] == 0 and j["response"]["imp_uid"] == p["imp_uid"]
    assert j["response"]["status"] == "cancelled"


def test_cancel_form_encoded(base):
    p = make_payment(base, amount=1000)
    r = requests.post(base + "/payments/cancel", headers=auth(base), timeout=5,
                      data={"imp_uid": p["imp_uid"], "amount": "400", "checksum": "1000", "reason": "f"})
    j = r.json()
    assert j["code"] == 0 and j["response"]["cancel_amount"] == 400


def test_checksum_mismatch_refused_and_nothing_changes(base):
    p = make_payment(base, amount=10000)
    h = auth(base)
    r = cancel(base, h, imp_uid=p["imp_uid"], amount=1000, checksum=9000, reason="stale")
    assert r.status_code == 200
    j = r.json()
    assert j["code"] != 0 and j["response"] is None and "checksum" in j["message"]
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["cancel_amount"] == 0 and g["status"] == "paid" and g["cancel_history"] == []


def test_retried_full_refund_with_checksum_is_refused(base):
    """The retrier's case: the first cancel went through but its answer was lost."""
    p = make_payment(base, amount=20000)
    h = auth(base)
    assert cancel(base, h, imp_uid=p["imp_uid"], checksum=20000, reason="r").json()["code"] == 0
    j = cancel(base, h, imp_uid=p["imp_uid"], checksum=20000, reason="r").json()
    assert j["code"] != 0 and j["response"] is None
    c = requests.get(base + "/__control/cancels", timeout=5).json()
    assert c["received"] == 2 and c["applied"] == 1


def test_double_cancel_refused(base):
    p = make_payment(base, amount=5000)
    h = auth(base)
    assert cancel(base, h, imp_uid=p["imp_uid"], reason="a").json()["code"] == 0
    r = cancel(base, h, imp_uid=p["imp_uid"], reason="b")
    assert r.status_code == 200
    j = r.json()
    assert j["code"] != 0 and j["response"] is None and "이미 전액취소" in j["message"]
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["cancel_amount"] == 5000 and len(g["cancel_history"]) == 1


def test_amount_above_remaining_refused(base):
    p = make_payment(base, amount=5000)
    h = auth(base)
    assert cancel(base, h, imp_uid=p["imp_uid"], amount=4000).json()["code"] == 0
    j = cancel(base, h, imp_uid=p["imp_uid"], amount=1001).json()
    assert j["code"] != 0 and j["response"] is None
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["cancel_amount"] == 4000 and g["status"] == "paid"


def test_zero_amount_refused(base):
    p = make_payment(base, amount=5000)
    j = cancel(base, auth(base), imp_uid=p["imp_uid"], amount=0).json()
    assert j["code"] != 0


def test_cancel_unknown_payment_refused(base):
    r = cancel(base, auth(base), imp_uid="imp_999999999999", reason="x")
    assert r.status_code == 200
    j = r.json()
    assert j["code"] != 0 and j["response"] is None and j["message"]


def test_cancel_without_any_uid_refused(base):
    j = cancel(base, auth(base), reason="x").json()
    assert j["code"] != 0 and j["response"] is None


@pytest.mark.parametrize("status", ["ready", "failed"])
def test_cancel_not_paid_refused(base, status):
    p = make_payment(base, status=status)
    j = cancel(base, auth(base), imp_uid=p["imp_uid"]).json()
    assert j["code"] != 0 and j["response"] is None
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=auth(base), timeout=5).json()["response"]
    assert g["status"] == status and g["cancel_amount"] == 0


def test_cancel_requires_token(base):
    p = make_payment(base)
    r = cancel(base, {"Authorization": "Bearer expired"}, imp_uid=p["imp_uid"])
    assert r.status_code == 401
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=auth(base), timeout=5).json()["response"]
    assert g["cancel_amount"] == 0


def test_cancel_log_counts_calls(base):
    p = make_payment(base, amount=1000)
    h = auth(base)
    cancel(base, h, imp_uid=p["imp_uid"], amount=100, reason="a")
    cancel(base, h, imp_uid=p["imp_uid"], amount=5000, reason="too much")
    c = requests.get(base + "/__control/cancels", timeout=5).json()
    assert c["received"] == 2 and c["applied"] == 1
    assert [x["outcome"] for x in c["cancels"]] == ["cancelled", "refused"]
    assert c["cancels"][0]["request"]["reason"] == "a" and c["cancels"][0]["cancelled_amount"] == 100


# ---- faults -----------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_5xx_next_n_then_recovers(base, status):
    p = make_payment(base)
    h = auth(base)
    fault(base, kind="status", status=status, count=2, path_prefix="/payments/")
    for _ in range(2):
        r = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
        assert r.status_code == status
        assert r.json()["code"] != 0
    r = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
    assert r.status_code == 200 and r.json()["code"] == 0


def test_fault_scoped_to_prefix(base):
    p = make_payment(base, amount=1000)
    fault(base, kind="status", status=503, path_prefix="/payments/cancel")  # all of them
    h = auth(base)  # getToken is not affected
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).status_code == 200
    for _ in range(3):
        assert cancel(base, h, imp_uid=p["imp_uid"]).status_code == 503
    c = requests.get(base + "/__control/cancels", timeout=5).json()
    assert c["received"] == 3 and c["applied"] == 0
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["status"] == "paid"
    assert requests.delete(base + "/__control/faults", timeout=5).status_code == 200
    assert cancel(base, h, imp_uid=p["imp_uid"]).json()["code"] == 0


def test_fault_delay_measured(base):
    p = make_payment(base)
    h = auth(base)
    fault(base, kind="delay", delay_ms=700, count=1)
    t = time.monotonic()
    r = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
    slow = time.monotonic() - t
    assert r.status_code == 200 and slow >= 0.7
    t = time.monotonic()
    requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
    assert time.monotonic() - t < 0.5


def test_fault_drop_is_a_connection_error(base):
    p = make_payment(base)
    h = auth(base)
    fault(base, kind="drop", count=1, path_prefix="/payments/")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5)
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).status_code == 200


def test_fault_timeout_is_a_read_timeout(base):
    p = make_payment(base)
    h = auth(base)
    fault(base, kind="timeout", count=1)
    t = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=(2, 1.0))
    assert time.monotonic() - t >= 1.0
    assert requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).status_code == 200


def test_fault_after_applies_the_cancel_but_loses_the_answer(base):
    p = make_payment(base, amount=9000)
    h = auth(base)
    fault(base, kind="timeout", count=1, path_prefix="/payments/cancel", phase="after")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(base + "/payments/cancel", json={"imp_uid": p["imp_uid"], "checksum": 9000},
                      headers=h, timeout=(2, 0.8))
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["status"] == "cancelled"
    # the retry with the same checksum cannot refund twice
    assert cancel(base, h, imp_uid=p["imp_uid"], checksum=9000).json()["code"] != 0
    assert requests.get(base + "/__control/cancels", timeout=5).json()["applied"] == 1


def test_faults_listed_and_reset(base):
    f = fault(base, kind="status", status=500)
    lst = requests.get(base + "/__control/faults", timeout=5).json()["faults"]
    assert [x["id"] for x in lst] == [f["id"]]
    requests.post(base + "/__control/reset", timeout=5)
    assert requests.get(base + "/__control/faults", timeout=5).json()["faults"] == []
    r = requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET}, timeout=5)
    assert r.status_code == 200


def test_bad_control_request_400(base):
    r = requests.post(base + "/__control/faults", json={"kind": "explode"}, timeout=5)
    assert r.status_code == 400
    r = requests.post(base + "/__control/payments", json={"amount": 1}, timeout=5)
    assert r.status_code == 400


def test_control_requests_log(base):
    token(base)
    token(base)
    reqs = requests.get(base + "/__control/requests", timeout=5).json()["requests"]
    assert [r["path"] for r in reqs] == ["/users/getToken", "/users/getToken"]


def test_unknown_route_404_envelope(base):
    r = requests.get(base + "/nope", timeout=5)
    assert r.status_code == 404 and r.json()["code"] != 0


def test_concurrent_partial_cancels_are_serialised(base):
    import concurrent.futures
    p = make_payment(base, amount=1000)
    h = auth(base)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        rs = list(ex.map(lambda _: cancel(base, h, imp_uid=p["imp_uid"], amount=100).json(), range(20)))
    assert sum(1 for j in rs if j["code"] == 0) == 10
    g = requests.get(base + "/payments/" + p["imp_uid"], headers=h, timeout=5).json()["response"]
    assert g["cancel_amount"] == 1000 and g["status"] == "cancelled" and len(g["cancel_history"]) == 10


# ---- process ----------------------------------------------------------------------------

def test_listens_on_loopback_only_and_sigterm_exits_0():
    proc, base = start()
    try:
        assert base.startswith("http://127.0.0.1:")
        assert requests.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET},
                             timeout=5).status_code == 200
        # a request hanging in a timeout fault must not keep it from stopping
        requests.post(base + "/__control/faults", json={"kind": "timeout"}, timeout=5)
        import threading
        seen = []

        def hanging_client():
            try:
                requests.get(base + "/payments/x", timeout=30)
                seen.append("answered")
            except requests.exceptions.RequestException as e:
                seen.append(type(e).__name__)

        th = threading.Thread(target=hanging_client, daemon=True)
        th.start()
        time.sleep(0.3)
        assert seen == []  # still hanging: the timeout fault holds it
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - t < 5
        th.join(5)
        assert seen == ["ConnectionError"]  # closed without an answer, not answered
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(base + "/payments/x", timeout=2)


def test_control_reads_json_whatever_the_content_type(base):
    # curl -d '{...}' sends application/x-www-form-urlencoded
    r = requests.post(base + "/__control/payments", timeout=5,
                      data='{"merchant_uid": "ft-curl", "amount": 1200}',
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["merchant_uid"] == "ft-curl" and r.json()["amount"] == 1200


# ---- CORS: the buyer's page pays through /__control/payments from its own origin ----------

PAGE = "http://127.0.0.1:8080"


def preflight(base, path, origin=PAGE, method="POST"):
    return requests.options(base + path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                  "Access-Control-Request-Headers": "content-type"}, timeout=5)


@pytest.mark.parametrize("origin", [PAGE, "http://localhost:18080", "http://[::1]:8080", "https://127.0.0.2"])
def test_a_page_on_loopback_may_pay_from_its_origin(base, origin):
    r = preflight(base, "/__control/payments", origin)
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == origin
    assert r.headers["Access-Control-Allow-Methods"] == "POST"
    assert r.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "Origin" in r.headers["Vary"]
    r = requests.post(base + "/__control/payments", json={"merchant_uid": "ft-cors-1", "amount": 1000},
                      headers={"Origin": origin}, timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "paid"
    assert r.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("origin", ["https://shop.example", "http://127.0.0.1.example.com", "null", "http://10.0.0.1"])
def test_other_origins_get_no_cors_headers(base, origin):
    r = preflight(base, "/__control/payments", origin)
    assert r.status_code == 501
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.post(base + "/__control/payments", json={"merchant_uid": "ft-cors-2", "amount": 1000},
                      headers={"Origin": origin}, timeout=5)
    assert "Access-Control-Allow-Origin" not in r.headers


@pytest.mark.parametrize("path,method", [("/__control/reset", "POST"), ("/__control/faults", "POST"),
                                         ("/payments/cancel", "POST"), ("/users/getToken", "POST"),
                                         ("/__control/payments", "GET")])
def test_only_the_checkout_call_is_open_to_pages(base, path, method):
    r = preflight(base, path, PAGE, method)
    assert r.status_code == 501
    assert "Access-Control-Allow-Origin" not in r.headers
    r = requests.get(base + "/__control/payments", headers={"Origin": PAGE}, timeout=5)
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers


# ---- connections ----------------------------------------------------------------------
def test_connections_counts_tcp_connections_not_requests(base):
    def accepted():
        return requests.get(base + "/__control/connections", timeout=5).json()["accepted"]

    before = accepted()  # each requests.get without a session opens a connection of its own
    with requests.Session() as s:  # one kept-alive connection for all three
        for _ in range(3):
            assert s.post(base + "/users/getToken", json={"imp_key": KEY, "imp_secret": SECRET},
                          timeout=5).status_code == 200
    assert accepted() == before + 2  # the session's one, and this request's own
