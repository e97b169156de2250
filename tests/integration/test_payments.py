"""Payments through the PortOne imitation with the real ingress, worker and expirer:
a hold becomes PAID; a payment that cannot be honoured is refunded exactly once, also
through PortOne outages and a killed retrier; retries and webhooks change nothing; no
one can settle or refund another person's payment; a paid reservation is cancelled with
its refund."""
import threading
import time

import pytest

from ft_support import assert_error, describe
from payment_helpers import Stack, stack  # noqa: F401


def paid_hold(stack, user, seat):
    """A hold of `seat`, its order, and a PortOne payment of the right amount (not confirmed yet)."""
    held = stack.hold(user, [seat])
    order = stack.prepare(user, held["reservationId"])
    assert order["amount"] == held["amount"]
    imp_uid = stack.portone.pay(order["merchantUid"], order["amount"])
    return held, order, imp_uid


def wait_refund_done(stack, user, reservation_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        refund = stack.payment(user, reservation_id)["refund"]
        if refund is not None and refund["status"] == "DONE":
            return refund
        assert time.monotonic() < deadline, f"refund of {reservation_id} not done: {refund}"
        time.sleep(0.1)


def test_a_paid_hold_becomes_paid_and_its_seat_sold(stack):
    alice = stack.buyer()
    seat = stack.seats()[0]["id"]
    held, order, imp_uid = paid_hold(stack, alice, seat)
    first = stack.confirm(alice, held["reservationId"], imp_uid)
    assert first.status_code == 202, describe(first)
    assert first.body["status"] == "CONFIRMING" and first.body["impUid"] == imp_uid
    paid = stack.wait_payment(alice, held["reservationId"], "PAID")
    assert paid["reservationStatus"] == "PAID" and paid["refund"] is None
    assert stack.seat_status(seat) == "SOLD"
    mine = stack.api.get("/api/v1/reservations/my", token=alice.token).body["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(held["reservationId"], "PAID")]
    again = stack.confirm(alice, held["reservationId"], imp_uid)
    assert again.status_code == 200 and again.body["status"] == "PAID", describe(again)
    # A paid hold never expires, and nothing was refunded.
    assert stack.portone.applied_cancels() == 0
    assert stack.rows("SELECT count(*) FROM refunds") == [(0,)]


def test_a_wrong_amount_is_refunded_exactly_once(stack):
    alice = stack.buyer()
    held = stack.hold(alice, [stack.seats()[0]["id"]])
    order = stack.prepare(alice, held["reservationId"])
    imp_uid = stack.portone.pay(order["merchantUid"], order["amount"] - 1000)
    resp = stack.confirm(alice, held["reservationId"], imp_uid)
    assert_error(resp, 409, "AMOUNT_MISMATCH")
    refund = wait_refund_done(stack, alice, held["reservationId"])
    assert refund["reason"] == "AMOUNT_MISMATCH" and refund["amount"] == order["amount"] - 1000
    assert stack.payment(alice, held["reservationId"])["status"] == "REFUNDED"
    assert_error(stack.confirm(alice, held["reservationId"], imp_uid), 409, "PAYMENT_REFUNDED")
    time.sleep(1.5)  # more than the retrier's turn and back-off: nothing more happens
    assert stack.portone.applied_cancels() == 1
    assert stack.rows("SELECT status FROM reservations WHERE id = %s", held["reservationId"]) == [("HELD",)]


def test_a_payment_after_the_hold_expired_is_refunded(tmp_path, topics, database):
    short = Stack(tmp_path, topics, database, hold_seconds=2)
    try:
        alice = short.buyer()
        seat = short.seats()[0]["id"]
        held, order, imp_uid = paid_hold(short, alice, seat)
        time.sleep(2.5)  # the buyer took too long at the payment window
        # No new order for a hold that is over, nor the old one handed out again.
        late = short.api.post("/api/v1/payments/prepare", {"reservationId": held["reservationId"]}, token=alice.token)
        assert_error(late, 409, "RESERVATION_NOT_HELD")
        assert short.payment(alice, held["reservationId"])["reservationStatus"] == "EXPIRED"
        resp = short.confirm(alice, held["reservationId"], imp_uid)
        assert resp.status_code == 202, describe(resp)  # verified; the log decides
        refund = wait_refund_done(short, alice, held["reservationId"])
        assert refund["reason"] == "HOLD_ENDED"
        assert short.payment(alice, held["reservationId"])["status"] == "REFUNDED"
        assert short.rows("SELECT status FROM reservations WHERE id = %s", held["reservationId"]) == [("EXPIRED",)]
        assert short.seat_status(seat) == "AVAILABLE"
        assert short.portone.applied_cancels() == 1
    finally:
        short.stop()


def test_a_payment_whose_notice_never_came_is_refunded_once_its_hold_ends(tmp_path, topics, database):
    """Buyers paid and closed the page, and PortOne's notice never reached us. Once their
    holds have ended, the expirer asks PortOne about the orders still unpaid and settles
    what it finds as a confirmation would: refunded, in full or of the amount paid. An
    order nobody paid is asked about once and stays as it is."""
    short = Stack(tmp_path, topics, database, hold_seconds=2, expirer_settings={"FT_PAYMENT_CHECK_AFTER_SECONDS": "1"})
    try:
        alice, bob, carol = short.buyer(), short.buyer(), short.buyer()
        seats = [s["id"] for s in short.seats()[:3]]
        paid, paid_order, paid_uid = paid_hold(short, alice, seats[0])  # never confirmed
        wrong = short.hold(bob, [seats[1]])
        wrong_order = short.prepare(bob, wrong["reservationId"])
        wrong_uid = short.portone.pay(wrong_order["merchantUid"], wrong_order["amount"] - 1000)
        unpaid = short.hold(carol, [seats[2]])
        short.prepare(carol, unpaid["reservationId"])

        refund = wait_refund_done(short, alice, paid["reservationId"])
        assert (refund["reason"], refund["amount"]) == ("HOLD_ENDED", paid_order["amount"])
        assert short.payment(alice, paid["reservationId"])["impUid"] == paid_uid
        refund = wait_refund_done(short, bob, wrong["reservationId"])
        assert (refund["reason"], refund["amount"]) == ("AMOUNT_MISMATCH", wrong_order["amount"] - 1000)
        assert short.payment(bob, wrong["reservationId"])["impUid"] == wrong_uid

        deadline = time.monotonic() + 20
        while short.rows("SELECT checked_at IS NOT NULL FROM payments WHERE reservation_id = %s",
                         unpaid["reservationId"]) != [(True,)]:
            assert time.monotonic() < deadline, "the unpaid order was never asked about"
            time.sleep(0.2)
        left = short.payment(carol, unpaid["reservationId"])
        assert (left["status"], left["impUid"], left["refund"]) == ("PREPARED", None, None)
        assert short.portone.applied_cancels() == 2
        assert [short.seat_status(s) for s in seats] == ["AVAILABLE"] * 3
    finally:
        short.stop()


def test_a_refund_survives_an_outage_and_a_killed_retrier(stack):
    alice = stack.buyer()
    held = stack.hold(alice, [stack.seats()[0]["id"]])
    order = stack.prepare(alice, held["reservationId"])
    imp_uid = stack.portone.pay(order["merchantUid"], order["amount"] + 500)
    stack.portone.fault(kind="status", status=503, path_prefix="/payments/cancel")
    assert_error(stack.confirm(alice, held["reservationId"], imp_uid), 409, "AMOUNT_MISMATCH")

    deadline = time.monotonic() + 30
    while len(stack.rows("SELECT 1 FROM refund_attempts WHERE result = 'UNAVAILABLE'")) < 2:
        assert time.monotonic() < deadline, "the retrier did not try through the outage"
        time.sleep(0.1)
    # PortOne comes back, but the answer to the cancel that works is lost on the way, and
    # the retrier is killed right after: the refund happened and we do not know it. Two
    # answers lost: the client tries a request once more on a new connection when its kept
    # one breaks, and that second cancel's refusal would tell the retrier at once.
    stack.portone.clear_faults()
    stack.portone.fault(kind="drop", phase="after", count=2, path_prefix="/payments/cancel")
    deadline = time.monotonic() + 30
    while stack.portone.applied_cancels() < 1:
        assert time.monotonic() < deadline, "PortOne never got the cancel"
        time.sleep(0.02)
    stack.expirer.kill()
    assert stack.rows("SELECT status FROM refunds") == [("DUE",)]
    stack.start_expirer()
    refund = wait_refund_done(stack, alice, held["reservationId"])
    results = [a["result"] for a in refund["attempts"]]
    assert results[-1] == "ALREADY_REFUNDED", results
    assert results.count("UNAVAILABLE") >= 2, results
    assert stack.portone.applied_cancels() == 1, "refunded twice"


def test_a_cancel_made_before_the_refund_is_not_taken_for_it(stack):
    """A payment partly cancelled in PortOne's console before it is confirmed is not
    honoured, and what is left of it is refunded. When PortOne refuses that refund once,
    the look-up that follows sees the earlier cancel: it is not this refund done."""
    alice = stack.buyer()
    held = stack.hold(alice, [stack.seats()[0]["id"]])
    order = stack.prepare(alice, held["reservationId"])
    imp_uid = stack.portone.pay(order["merchantUid"], order["amount"])
    earlier = order["amount"] - order["amount"] // 3  # more than what is left after it
    stack.portone.api("POST", "/payments/cancel", {"imp_uid": imp_uid, "amount": earlier})
    stack.portone.fault(kind="status", status=400, count=1, path_prefix="/payments/cancel")
    assert_error(stack.confirm(alice, held["reservationId"], imp_uid), 409, "AMOUNT_MISMATCH")
    refund = wait_refund_done(stack, alice, held["reservationId"])
    assert refund["amount"] == order["amount"] - earlier
    assert [a["result"] for a in refund["attempts"]] == ["REFUSED", "REFUNDED"], refund["attempts"]
    at_portone = stack.portone.api("GET", "/payments/" + imp_uid)
    assert (at_portone["status"], at_portone["cancel_amount"]) == ("cancelled", order["amount"])


def test_a_refund_gives_back_what_is_left_after_a_cancel_made_at_portone(stack):
    """A paid reservation's payment is partly cancelled in PortOne's console, then the buyer
    cancels the reservation. PortOne refuses the refund's checksum (the whole amount) every
    time; the retrier gives back all that is left, once, and says how much. The refund
    stays of what was due, as a replay of the log makes it."""
    alice = stack.buyer()
    held, order, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    assert stack.confirm(alice, held["reservationId"], imp_uid).status_code == 202
    stack.wait_payment(alice, held["reservationId"], "PAID")
    outside = order["amount"] // 4
    stack.portone.api("POST", "/payments/cancel", {"imp_uid": imp_uid, "amount": outside})
    assert stack.api.delete(f"/api/v1/reservations/{held['reservationId']}", token=alice.token).status_code == 202
    refund = wait_refund_done(stack, alice, held["reservationId"])
    assert refund["amount"] == order["amount"], "what was due: the buyer had the rest back from PortOne's console"
    assert [a["result"] for a in refund["attempts"]] == ["REFUNDED"], refund["attempts"]
    [(detail,)] = stack.rows("SELECT a.detail FROM refund_attempts a JOIN refunds f ON f.id = a.refund_id"
                             " WHERE f.imp_uid = %s", imp_uid)
    assert detail == f"the {order['amount'] - outside} left after {outside} was cancelled at PortOne: refunded", detail
    at_portone = stack.portone.api("GET", "/payments/" + imp_uid)
    assert (at_portone["status"], at_portone["cancel_amount"]) == ("cancelled", order["amount"])
    assert stack.payment(alice, held["reservationId"])["status"] == "REFUNDED"


def test_refunds_are_carried_out_several_at_once(stack):
    """A slow PortOne must not make refunds queue behind each other: with 1.5 s per cancel,
    one refund at a time would leave 1.5 s between the cancels' arrivals."""
    stack.portone.fault(kind="status", status=503, path_prefix="/payments/cancel")
    due = []
    for seat in stack.seats()[:4]:
        buyer = stack.buyer()
        held = stack.hold(buyer, [seat["id"]])
        order = stack.prepare(buyer, held["reservationId"])
        imp_uid = stack.portone.pay(order["merchantUid"], order["amount"] - 1000)
        assert_error(stack.confirm(buyer, held["reservationId"], imp_uid), 409, "AMOUNT_MISMATCH")
        due.append((buyer, held["reservationId"]))
    stack.portone.clear_faults()
    slow_from = time.time()
    stack.portone.fault(kind="delay", delay_ms=1500, path_prefix="/payments/cancel")
    for buyer, reservation_id in due:
        wait_refund_done(stack, buyer, reservation_id)
    arrivals = sorted(r["at"] for r in stack.portone.control("GET", "requests")["requests"]
                      if r["method"] == "POST" and r["path"] == "/payments/cancel" and r["at"] >= slow_from)
    assert len(arrivals) >= 4, arrivals
    closest = min(b - a for a, b in zip(arrivals, arrivals[1:]))
    assert closest < 1.0, f"cancels {arrivals} went one at a time"
    assert stack.portone.applied_cancels() == 4


def test_an_order_is_made_once_and_answered_as_it_is_stored(stack):
    alice = stack.buyer()
    seats = stack.seats()
    held = stack.hold(alice, [seats[0]["id"], seats[1]["id"]])
    # Four tabs ask at once: one order, and every answer is that order.
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(stack.prepare(alice, held["reservationId"])))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4
    stored = stack.payment(alice, held["reservationId"])
    assert all(a == stored for a in answers), (answers, stored)
    assert stored["amount"] == held["amount"] and stored["orderName"].endswith(" - 2 seats")
    assert stored["impUid"] is None and stored["refund"] is None and stored["reservationStatus"] == "HELD"
    assert stack.prepare(alice, held["reservationId"]) == stored
    assert stack.rows("SELECT count(*) FROM payments WHERE reservation_id = %s", held["reservationId"]) == [(1,)]


def test_a_double_post_makes_one_payment_and_no_refund(stack):
    alice = stack.buyer()
    held, _, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(stack.confirm(alice, held["reservationId"], imp_uid)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.status_code in (200, 202) for a in answers), [describe(a) for a in answers]
    stack.wait_payment(alice, held["reservationId"], "PAID")
    assert stack.rows("SELECT count(*), count(imp_uid) FROM payments") == [(1, 1)]
    time.sleep(0.5)
    assert stack.portone.applied_cancels() == 0
    assert stack.rows("SELECT count(*) FROM refunds") == [(0,)]


def test_no_one_settles_or_sees_another_persons_payment(stack):
    alice, mallory = stack.buyer(), stack.buyer()
    seats = stack.seats()
    held, order, imp_uid = paid_hold(stack, alice, seats[0]["id"])
    theirs, their_order, their_imp_uid = paid_hold(stack, mallory, seats[1]["id"])
    # Mallory cannot confirm, prepare or read Alice's reservation's payment.
    assert_error(stack.confirm(mallory, held["reservationId"], imp_uid), 404, "NOT_FOUND")
    assert stack.api.post("/api/v1/payments/prepare", {"reservationId": held["reservationId"]},
                          token=mallory.token).status_code == 404
    assert stack.api.get(f"/api/v1/payments/{held['reservationId']}", token=mallory.token).status_code == 404
    # Nor settle her own reservation with Alice's payment, nor Alice with Mallory's.
    assert_error(stack.confirm(mallory, theirs["reservationId"], imp_uid), 409, "PAYMENT_ORDER_MISMATCH")
    assert_error(stack.confirm(alice, held["reservationId"], their_imp_uid), 409, "PAYMENT_ORDER_MISMATCH")
    assert_error(stack.confirm(alice, held["reservationId"], "imp_does_not_exist"), 404, "PAYMENT_NOT_FOUND")
    # Alice's own payment still works afterwards, and nothing was ever refunded.
    assert stack.confirm(alice, held["reservationId"], imp_uid).status_code == 202
    stack.wait_payment(alice, held["reservationId"], "PAID")
    assert_error(stack.confirm(mallory, theirs["reservationId"], imp_uid), 409, "PAYMENT_ORDER_MISMATCH")
    assert stack.portone.applied_cancels() == 0
    assert stack.payment(mallory, theirs["reservationId"])["status"] == "PREPARED"


def test_cancelling_a_paid_reservation_refunds_it_once_and_frees_its_seat(stack):
    alice, bob = stack.buyer(), stack.buyer()
    seat = stack.seats()[0]["id"]
    held, _, imp_uid = paid_hold(stack, alice, seat)
    assert stack.confirm(alice, held["reservationId"], imp_uid).status_code == 202
    stack.wait_payment(alice, held["reservationId"], "PAID")
    path = f"/api/v1/reservations/{held['reservationId']}"
    first = stack.api.delete(path, token=alice.token)
    assert first.status_code == 202, describe(first)
    refund = wait_refund_done(stack, alice, held["reservationId"])
    assert refund["reason"] == "CANCELLED_BY_BUYER"
    assert stack.seat_status(seat) == "AVAILABLE"
    again = stack.api.delete(path, token=alice.token)
    assert again.status_code == 200 and again.body["status"] == "CANCELLED", describe(again)
    # The seat sells again; the old reservation can neither release it nor be refunded twice.
    stack.hold(bob, [seat])
    assert stack.api.delete(path, token=alice.token).status_code == 200
    time.sleep(1.0)
    assert stack.seat_status(seat) == "HELD"
    assert stack.portone.applied_cancels() == 1
    assert stack.rows("SELECT count(*) FROM refunds") == [(1,)]


def test_a_webhook_is_never_trusted_and_a_repeated_one_changes_nothing(stack):
    alice = stack.buyer()
    held, order, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    # The buyer closed the browser after paying: PortOne's notice settles the order.
    notice = {"imp_uid": imp_uid, "merchant_uid": order["merchantUid"], "status": "paid"}
    first = stack.api.post("/api/v1/payments/webhook", notice)
    assert first.status_code == 200 and first.body["result"] == "CONFIRMING", describe(first)
    stack.wait_payment(alice, held["reservationId"], "PAID")
    before = stack.rows("SELECT id, status, imp_uid, updated_at FROM payments")
    again = stack.api.post("/api/v1/payments/webhook", notice)
    assert again.status_code == 200 and again.body["result"] == "PAID", describe(again)
    # A forged notice claiming a cancellation is checked with PortOne, which says paid.
    forged = stack.api.post("/api/v1/payments/webhook", dict(notice, status="cancelled"))
    assert forged.status_code == 200 and forged.body["result"] == "PAID"
    assert stack.rows("SELECT id, status, imp_uid, updated_at FROM payments") == before
    assert stack.portone.applied_cancels() == 0


def portone_calls(stack):
    return len([r for r in stack.portone.control("GET", "requests")["requests"] if not r["path"].startswith("/__")])


def test_a_webhook_asks_portone_only_about_an_order_waiting_for_its_payment(stack):
    """Anyone can post a notice. One that names no order of ours, or an order already
    settled, changes nothing, so it must not make us call PortOne; one that names a waiting
    order is checked there, and its payment must be of that very order."""
    alice, bob = stack.buyer(), stack.buyer()
    held, order, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    bob_held = stack.hold(bob, [stack.seats()[1]["id"]])
    bob_order = stack.prepare(bob, bob_held["reservationId"])
    webhook = "/api/v1/payments/webhook"
    assert_error(stack.api.post(webhook, {"imp_uid": imp_uid}), 400, "MISSING_FIELD")
    assert_error(stack.api.post(webhook, {"imp_uid": imp_uid, "merchant_uid": "a b"}), 400, "INVALID_FIELD")
    calls = portone_calls(stack)
    for merchant_uid in ("ft-not-ours", "x" * 63):
        r = stack.api.post(webhook, {"imp_uid": "imp_forged_" + merchant_uid[:8], "merchant_uid": merchant_uid})
        assert r.status_code == 200 and r.body == {"impUid": "imp_forged_" + merchant_uid[:8], "result": "IGNORED"}, \
            describe(r)
    assert portone_calls(stack) == calls, "PortOne called about an order that is not ours"
    # Alice's payment named with Bob's waiting order: PortOne says it is of Alice's order.
    r = stack.api.post(webhook, {"imp_uid": imp_uid, "merchant_uid": bob_order["merchantUid"], "status": "paid"})
    assert r.status_code == 200 and r.body["result"] == "IGNORED", describe(r)
    assert stack.payment(bob, bob_held["reservationId"])["status"] == "PREPARED"
    assert stack.payment(alice, held["reservationId"])["status"] == "PREPARED"
    assert_error(stack.api.post(webhook, {"imp_uid": "imp_unknown", "merchant_uid": bob_order["merchantUid"]}),
                 404, "PAYMENT_NOT_FOUND")
    # Alice's own notice settles her order; once settled, notices are answered from our state.
    r = stack.api.post(webhook, {"imp_uid": imp_uid, "merchant_uid": order["merchantUid"], "status": "paid"})
    assert r.status_code == 200 and r.body["result"] == "CONFIRMING", describe(r)
    stack.wait_payment(alice, held["reservationId"], "PAID")
    calls = portone_calls(stack)
    r = stack.api.post(webhook, {"imp_uid": imp_uid, "merchant_uid": order["merchantUid"], "status": "cancelled"})
    assert r.status_code == 200 and r.body["result"] == "PAID", describe(r)
    assert portone_calls(stack) == calls, "PortOne called about a settled order"
    assert stack.portone.applied_cancels() == 0


def test_a_confirmation_that_never_reached_the_queue_is_sent_again(stack):
    """An ingress that died between recording the verified payment and queueing it."""
    alice = stack.buyer()
    held, order, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    stack.rows("UPDATE payments SET imp_uid = %s, status = 'CONFIRMING', updated_at = now() - interval '1 minute'"
               " WHERE reservation_id = %s RETURNING 1", imp_uid, held["reservationId"])
    stack.wait_payment(alice, held["reservationId"], "PAID", timeout=30)
    assert stack.portone.applied_cancels() == 0


def test_bad_payment_requests_change_nothing(stack):
    alice = stack.buyer()
    held, order, imp_uid = paid_hold(stack, alice, stack.seats()[0]["id"])
    api = stack.api
    for body, code in [({"reservationId": "1", "impUid": imp_uid}, "INVALID_TYPE"),
                       ({"impUid": imp_uid}, "MISSING_FIELD"),
                       ({"reservationId": held["reservationId"], "impUid": "has space"}, "INVALID_FIELD"),
                       ({"reservationId": held["reservationId"], "impUid": "x" * 200}, "INVALID_FIELD"),
                       ({"reservationId": 0, "impUid": imp_uid}, "INVALID_FIELD"),
                       ({"reservationId": held["reservationId"], "impUid": imp_uid, "amount": 1}, "UNKNOWN_FIELD")]:
        assert_error(api.post("/api/v1/payments", body, token=alice.token), 400, code)
    assert api.post("/api/v1/payments", {"reservationId": held["reservationId"], "impUid": imp_uid}).status_code == 401
    bad_json = api.call("POST", "/api/v1/payments", token=alice.token, data=b"{not json")
    assert_error(bad_json, 400, "MALFORMED_JSON")
    # PortOne down while verifying: 503, and the order is still there to pay.
    stack.portone.fault(kind="status", status=502, path_prefix="/payments/")
    assert_error(stack.confirm(alice, held["reservationId"], imp_uid), 503, "PAYMENT_PROVIDER_UNAVAILABLE")
    stack.portone.clear_faults()
    assert stack.payment(alice, held["reservationId"])["status"] == "PREPARED"
    assert stack.confirm(alice, held["reservationId"], imp_uid).status_code == 202
    stack.wait_payment(alice, held["reservationId"], "PAID")


def test_a_slow_portone_holds_up_no_one_else(tmp_path, topics, database):
    """One HTTP thread: a payment waiting 1.5 s on PortOne must not stall the thread's
    other requests (it waits on the blocking pool, its connection suspended)."""
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    try:
        user = stack.buyer()
        held, _order, imp_uid = paid_hold(stack, user, stack.seats()[0]["id"])
        stack.portone.fault(kind="delay", delay_ms=1500, path_prefix=f"/payments/{imp_uid}", method="GET", count=1)
        answers = {}
        confirming = threading.Thread(target=lambda: answers.update(
            confirm=stack.confirm(user, held["reservationId"], imp_uid)))
        confirming.start()
        time.sleep(0.3)  # the confirmation is waiting on PortOne now
        started = time.monotonic()
        assert stack.api.get("/healthz").status_code == 200
        assert stack.api.get(f"/api/v1/seats/{stack.schedule['id']}").status_code == 200
        assert stack.api.get("/api/v1/users/me", token=user.token).status_code == 200
        others = time.monotonic() - started
        assert confirming.is_alive(), "the confirmation was not waiting on PortOne while the others were answered"
        assert others < 1.0, f"other requests took {others:.2f} s behind a payment waiting on PortOne"
        confirming.join(10)
        assert answers["confirm"].status_code == 202, describe(answers["confirm"])
        stack.wait_payment(user, held["reservationId"], "PAID")
    finally:
        stack.stop()
