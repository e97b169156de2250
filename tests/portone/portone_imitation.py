#!/usr/bin/python3
"""A local imitation of PortOne's REST API v1 (api.iamport.kr), for tests.

Standard library only. Start:
    /usr/bin/python3 tests/portone/portone_imitation.py --port 0 --imp-key=K --imp-secret=S
The first line of stdout is "listening http://127.0.0.1:PORT". SIGTERM (or SIGINT) stops
it cleanly with exit status 0. See README.md next to this file for the behaviour and the
test controls under /__control/.
"""
import argparse
import json
import math
import random
import secrets
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_TOKEN_LIFETIME = 1800.0  # 30 minutes, as PortOne documents
# The one path a web page may call from another origin: the buyer's page pays here, in
# place of PortOne's browser checkout (README.md, "Checkout from a web page").
CHECKOUT_PATH = "/__control/payments"


def loopback_origin(origin):
    """True for an Origin of a page served on this machine (http(s), loopback host)."""
    try:
        url = urllib.parse.urlsplit(origin or "")
        host = url.hostname or ""
    except ValueError:
        return False
    if url.scheme not in ("http", "https") or url.path or url.query:
        return False
    parts = host.split(".")
    return host in ("localhost", "::1") or (
        len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts))


class Fault:
    """A fault rule. kind: status | delay | timeout | drop."""

    def __init__(self, fid, kind, status=500, delay_ms=0, count=None, path_prefix="/",
                 method=None, phase="before"):
        self.id = fid
        self.kind = kind
        self.status = status
        self.delay_ms = delay_ms
        self.remaining = count  # None = every matching request
        self.path_prefix = path_prefix or "/"
        self.method = method.upper() if method else None
        self.phase = phase
        self.applied = 0

    def matches(self, method, path):
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method != method:
            return False
        return path.startswith(self.path_prefix)

    def to_json(self):
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "delay_ms": self.delay_ms, "remaining": self.remaining,
                "path_prefix": self.path_prefix, "method": self.method,
                "phase": self.phase, "applied": self.applied}


class State:
    def __init__(self, imp_key, imp_secret):
        self.lock = threading.Lock()
        self.imp_key = imp_key
        self.imp_secret = imp_secret
        self.reset()

    def reset(self):
        with self.lock:
            self.payments = {}          # imp_uid -> payment dict
            self.tokens = {}            # token -> expiry (float unix time)
            self.current_token = None   # the token getToken hands out while it lives
            self.token_lifetime = DEFAULT_TOKEN_LIFETIME
            self.faults = []
            self.next_fault_id = 1
            self.cancels = []           # every POST /payments/cancel received
            self.requests = []          # every PortOne-API request received
            self.connections = 0        # TCP connections accepted (a client that keeps its
                                        # connection open makes one for many requests)
            self.seq = 0


def now_s():
    return int(time.time())


def envelope(code, message, response):
    return {"code": code, "message": message, "response": response}


def to_number(v):
    """Amounts arrive as JSON numbers or (form) strings; None stays None."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise ValueError("boolean is not an amount")
    f = float(v)
    if math.isnan(f) or math.isinf(f):
        raise ValueError("not finite")
    return int(f) if f == int(f) else f


def new_payment(state, spec):
    state.seq += 1
    t = now_s()
    status = spec.get("status", "paid")
    if status not in ("ready", "paid", "failed", "cancelled"):
        raise ValueError("status must be ready, paid, failed or cancelled")
    imp_uid = spec.get("imp_uid") or "imp_%012d" % random.randrange(10 ** 12)
    if imp_uid in state.payments:
        raise ValueError("imp_uid already exists")
    merchant_uid = spec.get("merchant_uid")
    if not isinstance(merchant_uid, str) or not merchant_uid:
        raise ValueError("merchant_uid (string) is required")
    amount = to_number(spec.get("amount"))
    if amount is None or amount < 0:
        raise ValueError("amount (>= 0) is required")
    pg_tid = "pgtid_%s" % secrets.token_hex(8)
    p = {
        "imp_uid": imp_uid,
        "merchant_uid": merchant_uid,
        "pay_method": spec.get("pay_method", "card"),
        "channel": spec.get("channel", "pc"),
        "pg_provider": spec.get("pg_provider", "html5_inicis"),
        "emb_pg_provider": spec.get("emb_pg_provider"),
        "pg_tid": pg_tid,
        "pg_id": spec.get("pg_id", "INIpayTest"),
        "escrow": False,
        "apply_num": "%08d" % random.randrange(10 ** 8) if status == "paid" else "",
        "bank_code": None, "bank_name": None,
        "card_code": "361", "card_name": "BC카드", "card_quota": 0,
        "card_number": "910020*********5", "card_type": 0,
        "vbank_code": None, "vbank_name": None, "vbank_num": None,
        "vbank_holder": None, "vbank_date": 0, "vbank_issued_at": 0,
        "name": spec.get("name", "Fair Ticket"),
        "amount": amount,
        "cancel_amount": 0,
        "currency": spec.get("currency", "KRW"),
        "buyer_name": spec.get("buyer_name", ""),
        "buyer_email": spec.get("buyer_email", ""),
        "buyer_tel": spec.get("buyer_tel", ""),
        "buyer_addr": spec.get("buyer_addr", ""),
        "buyer_postcode": spec.get("buyer_postcode", ""),
        "custom_data": spec.get("custom_data"),
        "user_agent": spec.get("user_agent", "sorry_not_supported"),
        "status": status,
        "started_at": t,
        "paid_at": t if status in ("paid", "cancelled") else 0,
        "failed_at": t if status == "failed" else 0,
        "cancelled_at": 0,
        "fail_reason": spec.get("fail_reason", "사용자가 결제를 취소하셨습니다")
        if status == "failed" else None,
        "cancel_reason": None,
        "receipt_url": "https://imitation.invalid/receipt/%s" % imp_uid,
        "cancel_history": [],
        "cancel_receipt_urls": [],
        "cash_receipt_issued": False,
        "customer_uid": None,
        "customer_uid_usage": None,
    }
    if status == "cancelled":  # created already fully cancelled
        p["cancel_amount"] = amount
        p["cancelled_at"] = t
        p["cancel_reason"] = "cancelled at creation"
        p["cancel_history"].append({"pg_tid": pg_tid, "amount": amount, "cancelled_at": t,
                                    "reason": "cancelled at creation",
                                    "receipt_url": p["receipt_url"]})
    state.payments[imp_uid] = p
    return p


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes. With Nagle's algorithm the body waited for the
    # client's delayed ACK of the headers: 40 ms per answer on a kept-alive connection
    # (1.3 ms on a new one, whose first segments are acknowledged at once).
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet; tests read /__control/requests
        pass

    # ---- plumbing -------------------------------------------------------------
    def setup(self):
        super().setup()
        with self.state.lock:
            self.state.connections += 1

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def parse_body(self, raw):
        if not raw:
            return {}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        text = raw.decode("utf-8", "replace")
        if ctype == "application/x-www-form-urlencoded":
            return {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
        try:
            obj = json.loads(text)
        except ValueError:
            if ctype == "application/json":
                raise
            return {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
        if not isinstance(obj, dict):
            raise ValueError("body must be an object")
        return obj

    def cors_headers(self, path):
        """CORS for CHECKOUT_PATH only, and only for pages served from loopback."""
        origin = self.headers.get("Origin")
        if path != CHECKOUT_PATH or not loopback_origin(origin):
            return []
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_OPTIONS(self):
        """The CORS preflight of a page's POST to CHECKOUT_PATH; nothing else takes OPTIONS."""
        path = urllib.parse.urlsplit(self.path).path
        allowed = self.cors_headers(path)
        wanted = (self.headers.get("Access-Control-Request-Method") or "").upper()
        if not allowed or wanted != "POST":
            self.send_error(501, "Unsupported method ('OPTIONS')")
            return
        self.send_response(204)
        for name, value in allowed + [("Access-Control-Allow-Methods", "POST"),
                                      ("Access-Control-Allow-Headers", "Content-Type"),
                                      ("Access-Control-Max-Age", "600"), ("Content-Length", "0")]:
            self.send_header(name, value)
        self.end_headers()

    # ---- faults ---------------------------------------------------------------
    def hang_until_client_leaves(self):
        """Accept the request and never answer, until the client closes or we stop."""
        sock = self.connection
        stop = self.server.stopping
        while not stop.is_set():
            try:
                r, _, _ = select.select([sock], [], [], 0.1)
                if r:
                    if not sock.recv(65536):
                        break
            except OSError:
                break
        self.close_connection = True

    def drop(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def pick_faults(self, method, path, phase):
        """Delays apply and continue; the first other matching rule is returned."""
        delay = 0
        chosen = None
        with self.state.lock:
            for f in self.state.faults:
                if f.phase != phase or not f.matches(method, path):
                    continue
                if f.kind == "delay":
                    delay += f.delay_ms
                    f.applied += 1
                    if f.remaining is not None:
                        f.remaining -= 1
                    continue
                chosen = f
                f.applied += 1
                if f.remaining is not None:
                    f.remaining -= 1
                break
        return delay, chosen

    def apply_fault(self, f):
        """Returns the (status, body) to send instead, or None if the connection is gone."""
        if f.kind == "status":
            return f.status, {"code": -1, "message": "imitated fault: HTTP %d" % f.status,
                              "response": None}
        if f.kind == "timeout":
            self.hang_until_client_leaves()
            return None
        if f.kind == "drop":
            self.drop()
            return None
        return None

    # ---- dispatch -------------------------------------------------------------
    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            raw = self.read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        if path.startswith("/__control/") or path == "/__control":
            try:
                status, obj = self.control(method, path, raw)
            except ValueError as e:
                status, obj = 400, {"error": str(e)}
            self.send_json(status, obj, self.cors_headers(path) if method == "POST" else ())
            return

        with self.state.lock:
            self.state.requests.append({"method": method, "path": path, "at": time.time()})

        delay, fault = self.pick_faults(method, path, "before")
        if delay:
            time.sleep(delay / 1000.0)
        if fault is not None:
            out = self.apply_fault(fault)
            if method == "POST" and path == "/payments/cancel":
                self.record_cancel(raw, "fault:%s" % fault.kind, None, None)
            if out is not None:
                self.send_json(*out)
            return

        status, obj = self.api(method, path, url.query, raw)

        delay, fault = self.pick_faults(method, path, "after")
        if delay:
            time.sleep(delay / 1000.0)
        if fault is not None:
            out = self.apply_fault(fault)
            if out is not None:
                self.send_json(*out)
            return
        self.send_json(status, obj)

    # ---- PortOne API ----------------------------------------------------------
    def authorized(self):
        """PortOne takes 'Authorization: Bearer <token>', the raw token, or X-ImpTokenHeader."""
        h = self.headers.get("Authorization") or self.headers.get("X-ImpTokenHeader") or ""
        h = h.strip()
        if h.lower().startswith("bearer "):
            h = h[7:].strip()
        if not h:
            return False
        with self.state.lock:
            exp = self.state.tokens.get(h)
            return exp is not None and time.time() < exp

    def api(self, method, path, query, raw):
        unauthorized = (401, envelope(-1, "Unauthorized", None))
        if path == "/users/getToken":
            if method != "POST":
                return 405, envelope(-1, "Method Not Allowed", None)
            return self.get_token(raw)
        if path.startswith("/payments/find/") and method == "GET":
            if not self.authorized():
                return unauthorized
            # /payments/find/{merchant_uid}/{payment_status}: the status (ready, paid,
            # cancelled, failed) is optional, as documented.
            parts = path[len("/payments/find/"):].split("/")
            merchant_uid = urllib.parse.unquote(parts[0])
            wanted = parts[1] if len(parts) > 1 and parts[1] else None
            with self.state.lock:
                found = [p for p in self.state.payments.values()
                         if p["merchant_uid"] == merchant_uid and wanted in (None, p["status"])]
                if found:
                    found.sort(key=lambda p: p["started_at"])
                    return 200, envelope(0, None, json.loads(json.dumps(found[-1])))
            return 404, envelope(-1, "존재하지 않는 결제정보입니다.", None)
        if path == "/payments/cancel":
            if method != "POST":
                return 405, envelope(-1, "Method Not Allowed", None)
            if not self.authorized():
                self.record_cancel(raw, "unauthorized", 401, -1)
                return unauthorized
            return self.cancel(raw)
        if path.startswith("/payments/") and method == "GET":
            imp_uid = urllib.parse.unquote(path[len("/payments/"):])
            if not imp_uid or "/" in imp_uid:
                return 404, envelope(-1, "Not Found", None)
            if not self.authorized():
                return unauthorized
            with self.state.lock:
                p = self.state.payments.get(imp_uid)
                if p is not None:
                    return 200, envelope(0, None, json.loads(json.dumps(p)))
            return 404, envelope(-1, "존재하지 않는 결제정보입니다.", None)
        return 404, envelope(-1, "Not Found", None)

    def get_token(self, raw):
        try:
            body = self.parse_body(raw)
        except ValueError:
            return 400, envelope(-1, "요청 본문을 해석할 수 없습니다.", None)
        key, secret = body.get("imp_key"), body.get("imp_secret")
        st = self.state
        if not key or not secret:
            return 401, envelope(-1, "imp_key, imp_secret 파라미터가 누락되었습니다.", None)
        if key != st.imp_key or secret != st.imp_secret:
            return 401, envelope(-1, "imp_key, imp_secret 인증에 실패하였습니다.", None)
        t = time.time()
        with st.lock:
            life = st.token_lifetime
            tok = st.current_token
            exp = st.tokens.get(tok) if tok else None
            if exp is not None and t < exp:
                # Re-use: the same token, same expiry; asked within the last minute (of 30)
                # the expiry is extended by 5 minutes (both scaled to the configured lifetime).
                if exp - t <= life / 30.0:
                    exp += life / 6.0
                    st.tokens[tok] = exp
            else:
                tok = secrets.token_hex(20)
                exp = t + life
                st.tokens[tok] = exp
                st.current_token = tok
        return 200, envelope(0, None, {"access_token": tok, "now": int(t),
                                       "expired_at": int(math.ceil(exp))})

    def record_cancel(self, raw, outcome, http_status, code, amount=None, imp_uid=None):
        try:
            body = self.parse_body(raw)
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        with self.state.lock:
            self.state.cancels.append({"at": time.time(), "request": body, "outcome": outcome,
                                       "http_status": http_status, "code": code,
                                       "cancelled_amount": amount, "imp_uid": imp_uid})

    def cancel(self, raw):
        st = self.state

        def refuse(msg, imp_uid=None, status=200):
            with st.lock:
                st.cancels.append({"at": time.time(), "request": body, "outcome": "refused",
                                   "http_status": status, "code": -1, "message": msg,
                                   "cancelled_amount": None, "imp_uid": imp_uid})
            return status, envelope(-1, msg, None)

        try:
            body = self.parse_body(raw)
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
            return refuse("요청 본문을 해석할 수 없습니다.", status=400)
        try:
            amount = to_number(body.get("amount"))
            checksum = to_number(body.get("checksum"))
            tax_free = to_number(body.get("tax_free"))
        except (TypeError, ValueError):
            return refuse("amount, checksum, tax_free 는 숫자여야 합니다.")
        imp_uid = body.get("imp_uid") or None
        merchant_uid = body.get("merchant_uid") or None
        reason = body.get("reason")
        if imp_uid is None and merchant_uid is None:
            return refuse("imp_uid 또는 merchant_uid 중 하나는 필수입니다.")
        with st.lock:
            if imp_uid is not None:  # imp_uid wins when both are given
                p = st.payments.get(imp_uid)
            else:
                cands = [q for q in st.payments.values() if q["merchant_uid"] == merchant_uid]
                cands.sort(key=lambda q: (q["status"] != "paid", -q["started_at"]))
                p = cands[0] if cands else None
            if p is None:
                msg = "취소할 결제건이 존재하지 않습니다."
                st.cancels.append({"at": time.time(), "request": body, "outcome": "refused",
                                   "http_status": 200, "code": -1, "message": msg,
                                   "cancelled_amount": None, "imp_uid": imp_uid})
                return 200, envelope(-1, msg, None)
            remaining = p["amount"] - p["cancel_amount"]
            msg = None
            if p["status"] == "cancelled" or (p["status"] == "paid" and remaining <= 0):
                msg = "이미 전액취소된 주문입니다."
            elif p["status"] != "paid":
                msg = "결제완료(paid) 상태가 아닌 결제건은 취소할 수 없습니다. (status: %s)" % p["status"]
            elif checksum is not None and checksum != remaining:
                msg = ("[checksum] 요청하신 취소가능금액(%s원)이 실제 취소가능잔액(%s원)과 "
                       "일치하지 않습니다." % (checksum, remaining))
            elif amount is not None and amount <= 0:
                msg = "취소요청금액은 0보다 커야 합니다."
            elif amount is not None and amount > remaining:
                msg = "취소요청금액(%s원)이 취소가능잔액(%s원)보다 큽니다." % (amount, remaining)
            elif tax_free is not None and (tax_free < 0 or tax_free > (amount if amount is not None else remaining)):
                msg = "면세금액(tax_free)이 취소요청금액을 초과합니다."
            if msg:
                st.cancels.append({"at": time.time(), "request": body, "outcome": "refused",
                                   "http_status": 200, "code": -1, "message": msg,
                                   "cancelled_amount": None, "imp_uid": p["imp_uid"]})
                return 200, envelope(-1, msg, None)
            take = remaining if amount is None else amount
            t = now_s()
            p["cancel_amount"] = p["cancel_amount"] + take
            if isinstance(p["cancel_amount"], float) and p["cancel_amount"] == int(p["cancel_amount"]):
                p["cancel_amount"] = int(p["cancel_amount"])
            p["cancelled_at"] = t
            p["cancel_reason"] = reason
            receipt = "https://imitation.invalid/cancel-receipt/%s/%d" % (p["imp_uid"], len(p["cancel_history"]) + 1)
            p["cancel_history"].append({"pg_tid": p["pg_tid"], "amount": take, "cancelled_at": t,
                                        "reason": reason, "receipt_url": receipt})
            p["cancel_receipt_urls"].append(receipt)
            if p["cancel_amount"] >= p["amount"]:
                p["status"] = "cancelled"
            st.cancels.append({"at": time.time(), "request": body, "outcome": "cancelled",
                               "http_status": 200, "code": 0, "message": None,
                               "cancelled_amount": take, "imp_uid": p["imp_uid"]})
            return 200, envelope(0, None, json.loads(json.dumps(p)))

    # ---- test controls (never part of PortOne's API) ---------------------------
    def control(self, method, path, raw):
        st = self.state
        body = {}
        if raw:  # JSON whatever the Content-Type says (curl -d sends form's), else a form
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = self.parse_body(raw)
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        parts = [x for x in path.split("/") if x][1:]  # drop "__control"
        if parts == ["reset"] and method == "POST":
            st.reset()
            return 200, {"ok": True}
        if parts == ["payments"] and method == "POST":
            with st.lock:
                p = new_payment(st, body)
                return 200, json.loads(json.dumps(p))
        if parts == ["payments"] and method == "GET":
            with st.lock:
                return 200, {"payments": json.loads(json.dumps(list(st.payments.values())))}
        if len(parts) == 2 and parts[0] == "payments" and method in ("POST", "PUT"):
            # change a payment behind the client's back (e.g. a webhook-worthy status change)
            with st.lock:
                p = st.payments.get(parts[1])
                if p is None:
                    return 404, {"error": "unknown imp_uid"}
                for k, v in body.items():
                    if k in p and k not in ("imp_uid", "cancel_history"):
                        p[k] = v
                return 200, json.loads(json.dumps(p))
        if parts == ["cancels"] and method == "GET":
            with st.lock:
                cs = json.loads(json.dumps(st.cancels))
            return 200, {"cancels": cs, "received": len(cs),
                         "applied": sum(1 for c in cs if c["outcome"] == "cancelled")}
        if parts == ["connections"] and method == "GET":
            with st.lock:
                return 200, {"accepted": st.connections}
        if parts == ["requests"] and method == "GET":
            with st.lock:
                return 200, {"requests": list(st.requests)}
        if parts == ["token"] and method in ("GET", "POST"):
            with st.lock:
                if "lifetime_seconds" in body:
                    life = float(body["lifetime_seconds"])
                    if not life > 0:
                        raise ValueError("lifetime_seconds must be > 0")
                    st.token_lifetime = life
                if body.get("expire_all"):
                    st.tokens.clear()
                    st.current_token = None
                return 200, {"lifetime_seconds": st.token_lifetime, "live_tokens": sum(
                    1 for e in st.tokens.values() if e > time.time())}
        if parts == ["faults"] and method == "POST":
            kind = body.get("kind")
            if kind not in ("status", "delay", "timeout", "drop"):
                raise ValueError("kind must be status, delay, timeout or drop")
            status = int(body.get("status", 500))
            if kind == "status" and not 400 <= status <= 599:
                raise ValueError("status must be 4xx or 5xx")
            count = body.get("count")
            count = None if count is None else int(count)
            phase = body.get("phase", "before")
            if phase not in ("before", "after"):
                raise ValueError("phase must be before or after")
            with st.lock:
                f = Fault(st.next_fault_id, kind, status, int(body.get("delay_ms", 0)), count,
                          body.get("path_prefix", "/"), body.get("method"), phase)
                st.next_fault_id += 1
                st.faults.append(f)
                return 200, f.to_json()
        if parts == ["faults"] and method == "GET":
            with st.lock:
                return 200, {"faults": [f.to_json() for f in st.faults]}
        if parts == ["faults"] and method == "DELETE":
            with st.lock:
                st.faults.clear()
            return 200, {"ok": True}
        if len(parts) == 2 and parts[0] == "faults" and method == "DELETE":
            with st.lock:
                n = len(st.faults)
                st.faults = [f for f in st.faults if str(f.id) != parts[1]]
                return (200 if len(st.faults) < n else 404), {"ok": len(st.faults) < n}
        return 404, {"error": "unknown control %s %s" % (method, path)}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--imp-key", required=True)
    ap.add_argument("--imp-secret", required=True)
    args = ap.parse_args(argv)

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.imp_key, args.imp_secret)
    server.stopping = threading.Event()

    def on_signal(signum, frame):
        server.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("listening http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
