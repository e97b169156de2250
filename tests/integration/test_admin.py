"""Admin routes: only an ADMIN creates catalog data; unknown ids are 404."""
import pytest

from ft_support import MAX_ID, assert_error, create_concert, create_venue

VENUE = {"name": "Forbidden Hall", "rows": [{"seats": 5, "grade": "R", "price": 5000}]}
CONCERT = {"title": "Forbidden", "artist": "Nobody"}


@pytest.fixture
def targets(api, admin):
    concert = create_concert(api, admin.token)
    venue = create_venue(api, admin.token)
    schedule = {"venueId": venue["id"], "startsAt": "2026-12-24T19:00:00+09:00"}
    return [("/api/v1/venues", VENUE), ("/api/v1/concerts", CONCERT),
            (f"/api/v1/concerts/{concert['id']}/schedules", schedule)]


def test_admin_account_is_admin(api, admin):
    assert api.get("/api/v1/users/me", token=admin.token).body["role"] == "ADMIN"


def test_plain_user_is_forbidden(api, user, targets, unchanged):
    with unchanged():
        for path, body in targets:
            assert_error(api.post(path, body, token=user.token), 403, "FORBIDDEN")


def test_anonymous_is_asked_to_authenticate(api, targets, unchanged):
    with unchanged():
        for path, body in targets:
            resp = api.post(path, body)
            assert_error(resp, 401, "AUTH_REQUIRED")
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_ids_are_not_found(api, admin, unchanged):
    concert = create_concert(api, admin.token)
    venue = create_venue(api, admin.token)
    when = "2026-12-24T19:00:00+09:00"
    with unchanged():
        assert_error(api.get(f"/api/v1/concerts/{MAX_ID}"), 404, "NOT_FOUND")
        assert_error(api.get(f"/api/v1/seats/{MAX_ID}"), 404, "NOT_FOUND")
        resp = api.post(f"/api/v1/concerts/{MAX_ID}/schedules",
                        {"venueId": venue["id"], "startsAt": when}, token=admin.token)
        assert_error(resp, 404, "NOT_FOUND")
        resp = api.post(f"/api/v1/concerts/{concert['id']}/schedules",
                        {"venueId": MAX_ID, "startsAt": when}, token=admin.token)
        assert_error(resp, 404, "NOT_FOUND")


@pytest.mark.parametrize("starts_at, utc", [
    ("2026-12-24T19:00:00+16:00", "2026-12-24T03:00:00Z"),   # RFC 3339 allows it; PostgreSQL's parser does not
    ("2026-12-24T19:00:00-23:30", "2026-12-25T18:30:00Z"),
    ("2026-12-24T19:00:00+09:00", "2026-12-24T10:00:00Z"),
])
def test_a_schedule_starts_at_the_instant_given_whatever_the_offset(api, admin, starts_at, utc):
    concert = create_concert(api, admin.token)
    venue = create_venue(api, admin.token)
    resp = api.post(f"/api/v1/concerts/{concert['id']}/schedules", {"venueId": venue["id"], "startsAt": starts_at},
                    token=admin.token)
    assert resp.status_code == 201, resp.body
    assert resp.body["startsAt"] == utc
