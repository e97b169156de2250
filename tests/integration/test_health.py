"""/healthz, /readyz and the Prometheus metrics."""
import time

from ft_support import MAX_ID, assert_error, describe, matching, scrape


def test_healthz(api):
    resp = api.get("/healthz")
    assert resp.status_code == 200 and resp.body == {"status": "ok"}, describe(resp)


def test_readyz_with_postgres_and_kafka_up(api):
    resp = api.get("/readyz")
    assert resp.status_code == 200, describe(resp)
    assert resp.body == {"status": "ready", "checks": {"postgres": "ok", "kafka": "ok"}}


def requests_total(samples, route, status):
    found = matching(samples, "ft_http_requests_total", route=route, method="GET", status=status)
    assert len(found) <= 1, f"several series for {route} {status}"
    return found[0] if found else 0


def settled(api, ready, timeout=5.0):
    """Scrape until `ready(samples)` holds: a server may count a request only after its
    answer has gone out, so the scrape right after it can be a moment early."""
    deadline = time.monotonic() + timeout
    while True:
        text, samples = scrape(api)
        if ready(samples) or time.monotonic() > deadline:
            return text, samples
        time.sleep(0.05)


def test_metrics_count_requests_by_route_and_status(api):
    _, before = scrape(api)
    assert_error(api.get("/api/v1/no-such-route"), 404, "ROUTE_NOT_FOUND")
    assert_error(api.get(f"/api/v1/concerts/{MAX_ID}"), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/concerts/abc"), 400, "INVALID_ID")
    series = [("unmatched", "404"), ("/api/v1/concerts/{id}", "404"), ("/api/v1/concerts/{id}", "400")]

    def delta(samples):
        return [requests_total(samples, r, s) - requests_total(before, r, s) for r, s in series]
    _, after = settled(api, lambda samples: min(delta(samples)) >= 1)
    assert delta(after) == [1, 1, 1], list(zip(series, delta(after)))


def duration(samples, route):
    buckets = [(l["le"], v) for n, l, v in samples
               if n == "ft_http_request_duration_seconds_bucket" and l.get("route") == route]
    inf = sum(v for le, v in buckets if le == "+Inf")
    count = sum(matching(samples, "ft_http_request_duration_seconds_count", route=route))
    return buckets, inf, count


def test_metrics_have_latency_histogram_and_in_flight_gauge(api):
    route = "/api/v1/concerts/{id}"
    _, before = scrape(api)
    api.get("/api/v1/concerts/1")

    def ready(samples):
        _, inf, count = duration(samples, route)
        return inf == count > duration(before, route)[2]
    text, samples = settled(api, ready)
    for name, kind in [("ft_http_requests_total", "counter"),
                       ("ft_http_request_duration_seconds", "histogram"),
                       ("ft_http_connections_in_flight", "gauge")]:
        assert f"# TYPE {name} {kind}" in text, name
    buckets, inf, count = duration(samples, route)
    assert any(le == "+Inf" for le, _ in buckets), buckets
    assert inf == count > duration(before, route)[2], (inf, count)
    assert matching(samples, "ft_http_request_duration_seconds_sum", route=route)
    finite = sorted((float(le), v) for le, v in buckets if le != "+Inf")
    assert finite and all(a[1] <= b[1] <= inf for a, b in zip(finite, finite[1:])), \
        "buckets must be cumulative"
    in_flight = matching(samples, "ft_http_connections_in_flight")
    assert len(in_flight) == 1 and in_flight[0] >= 1, in_flight


def test_a_repeated_access_token_is_answered_from_the_cache_and_a_forged_one_is_not(api, user):
    def checks(samples):
        return {kind: matching(samples, "ft_access_token_checks_total", cache=kind)[0] for kind in ("hit", "miss")}

    text, before = scrape(api)
    assert "# TYPE ft_access_token_checks_total counter" in text
    for _ in range(3):
        assert api.get("/api/v1/users/me", token=user.token).status_code == 200
    # the same claims with another signature: refused every time, never a hit
    head, payload, signature = user.token.split(".")
    forged = ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    for _ in range(2):
        assert_error(api.get("/api/v1/users/me", token=forged), 401, "INVALID_TOKEN")
    _, after = scrape(api)
    was, now = checks(before), checks(after)
    # The session's other tests use the server meanwhile only when run in parallel, which they are not.
    assert now["hit"] - was["hit"] >= 2, (was, now)
    assert now["miss"] - was["miss"] >= 2, (was, now)
