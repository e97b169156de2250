"""Venues, concerts, schedules, the concert list and the seat map, as an admin builds
them and anyone reads them."""
from datetime import datetime, timezone

import pytest

from ft_support import (LAYOUT, assert_error, create_concert, create_schedule, create_venue,
                        describe, parse_time)

CONCERTS = "/api/v1/concerts"


def utc(text):
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture
def show(api, admin):
    venue = create_venue(api, admin.token)
    concert = create_concert(api, admin.token)
    schedule = create_schedule(api, admin.token, concert["id"], venue["id"],
                               "2026-12-24T19:00:00+09:00")
    return venue, concert, schedule


def test_venue_layout_is_numbered_from_the_front(api, admin, db):
    venue = create_venue(api, admin.token)
    assert venue["totalSeats"] == 9 and venue["name"] == "Test Hall"
    assert venue["rows"] == [dict(row, row=i) for i, row in enumerate(LAYOUT, 1)]
    stored = db.rows("SELECT row_number, seat_count, grade, price FROM venue_rows"
                     " WHERE venue_id = %s ORDER BY row_number", venue["id"])
    assert stored == [(i, r["seats"], r["grade"], r["price"]) for i, r in enumerate(LAYOUT, 1)]


def test_schedule_is_answered_in_utc_and_creates_every_seat(api, admin, db, show):
    venue, concert, schedule = show
    assert concert["description"] == ""
    assert schedule["startsAt"].endswith("Z")
    assert parse_time(schedule["startsAt"]) == utc("2026-12-24T10:00:00+00:00")
    assert (schedule["concertId"], schedule["venueId"]) == (concert["id"], venue["id"])
    assert schedule["status"] == "OPEN" and schedule["totalSeats"] == 9
    assert db.value("SELECT count(*) FROM seats WHERE schedule_id = %s", schedule["id"]) == 9

    resp = api.get(f"{CONCERTS}/{concert['id']}")
    assert resp.status_code == 200, describe(resp)
    detail = resp.body
    assert {k: detail[k] for k in concert} == concert
    assert detail["schedules"] == [{
        "id": schedule["id"], "venueId": venue["id"], "venueName": venue["name"],
        "startsAt": schedule["startsAt"], "status": "OPEN", "totalSeats": 9, "seatsLeft": 9}]


def test_seat_map_lists_every_seat_available_in_order(api, db, show):
    venue, concert, schedule = show
    resp = api.get(f"/api/v1/seats/{schedule['id']}")
    assert resp.status_code == 200, describe(resp)
    seat_map = resp.body
    assert (seat_map["scheduleId"], seat_map["concertId"]) == (schedule["id"], concert["id"])
    assert seat_map["startsAt"] == schedule["startsAt"]
    expected = [(r, n, row["grade"], row["price"], "AVAILABLE")
                for r, row in enumerate(LAYOUT, 1) for n in range(1, row["seats"] + 1)]
    got = [(s["row"], s["number"], s["grade"], s["price"], s["status"]) for s in seat_map["seats"]]
    assert got == expected
    stored = db.rows("SELECT id FROM seats WHERE schedule_id = %s ORDER BY row_number, seat_number",
                     schedule["id"])
    assert [s["id"] for s in seat_map["seats"]] == [row[0] for row in stored]


def test_concert_list_pages_in_id_order(api, admin, db):
    for i in range(3):
        create_concert(api, admin.token, title=f"Paged {i}")
    ids = [row[0] for row in db.rows("SELECT id FROM concerts ORDER BY id")]
    seen = []
    for page in range(len(ids) // 2 + 2):
        resp = api.get(f"{CONCERTS}?page={page}&size=2")
        assert resp.status_code == 200, describe(resp)
        body = resp.body
        assert (body["page"], body["size"], body["total"]) == (page, 2, len(ids))
        assert len(body["items"]) == max(0, min(2, len(ids) - 2 * page))
        seen += [item["id"] for item in body["items"]]
    assert seen == ids

    default = api.get(CONCERTS)
    assert default.status_code == 200, describe(default)
    assert (default.body["page"], default.body["size"]) == (0, 20)
    assert [item["id"] for item in default.body["items"]] == ids[:20]


def test_summary_counts_schedules_and_names_the_first(api, admin, db):
    venue = create_venue(api, admin.token)
    bare = create_concert(api, admin.token, title="No dates yet")
    busy = create_concert(api, admin.token, title="Two dates")
    create_schedule(api, admin.token, busy["id"], venue["id"], "2027-03-01T20:00:00+09:00")
    create_schedule(api, admin.token, busy["id"], venue["id"], "2027-01-15T18:30:00-05:00")
    assert summary(api, db, bare["id"])["scheduleCount"] == 0
    assert summary(api, db, bare["id"])["firstStartsAt"] is None
    assert summary(api, db, busy["id"])["scheduleCount"] == 2
    first = summary(api, db, busy["id"])["firstStartsAt"]
    assert parse_time(first) == utc("2027-01-15T23:30:00+00:00")


def summary(api, db, concert_id):
    """The list entry of one concert, read from the page the database says it is on."""
    position = db.value("SELECT count(*) FROM concerts WHERE id < %s", concert_id)
    resp = api.get(f"{CONCERTS}?page={position // 10}&size=10")
    assert resp.status_code == 200, describe(resp)
    entry = resp.body["items"][position % 10]
    assert entry["id"] == concert_id, resp.body
    return entry


@pytest.mark.parametrize("query", [
    "page=-1", "page=abc", "page=1.5", "page=99999999999999999999", "size=0", "size=101",
    "size=-5", "size=abc", "size=2x", "size=99999999999999999999",
])
def test_bad_page_or_size_is_invalid_query(api, unchanged, query):
    with unchanged():
        assert_error(api.get(f"{CONCERTS}?{query}"), 400, "INVALID_QUERY")


def test_page_far_past_the_end_is_empty_or_refused(api):
    resp = api.get(f"{CONCERTS}?page=9223372036854775807&size=100")
    if resp.status_code == 200:
        assert resp.body["items"] == []
    else:
        assert_error(resp, 400, "INVALID_QUERY")


def test_text_is_stored_and_returned_verbatim(api, admin, db):
    texts = {
        "title": "'; DROP TABLE users; --",
        "artist": 'He said "hi" \\ back\\slash \\u0041 \\n %s %n',
        "description": "아이유 콘서트 🎤\n두 번째 줄\t<b>&amp;</b> {} \" ' ` $1 \u00e9",
    }
    concert = create_concert(api, admin.token, **texts)
    venue = create_venue(api, admin.token, name='올림픽공원 "KSPO DOME" \'체조\' \\ ;--')
    assert {k: concert[k] for k in texts} == texts
    assert venue["name"] == '올림픽공원 "KSPO DOME" \'체조\' \\ ;--'
    stored = db.rows("SELECT title, artist, description FROM concerts WHERE id = %s", concert["id"])
    assert stored == [(texts["title"], texts["artist"], texts["description"])]
    assert db.value("SELECT name FROM venues WHERE id = %s", venue["id"]) == venue["name"]
    detail = api.get(f"{CONCERTS}/{concert['id']}").body
    assert {k: detail[k] for k in texts} == texts
    create_schedule(api, admin.token, concert["id"], venue["id"])
    assert api.get(f"{CONCERTS}/{concert['id']}").body["schedules"][0]["venueName"] == venue["name"]
    assert db.value("SELECT count(*) FROM users") >= 1


def test_json_escapes_are_decoded(api, admin, db):
    raw = b'{"title": "\\uc544\\uc774\\uc720 \\ud83c\\udfa4", "artist": "tab\\there \\"q\\" \\\\ \\/"}'
    resp = api.call("POST", CONCERTS, data=raw, token=admin.token,
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 201, describe(resp)
    assert resp.body["title"] == "아이유 🎤" and resp.body["artist"] == 'tab\there "q" \\ /'
    assert db.value("SELECT title FROM concerts WHERE id = %s", resp.body["id"]) == "아이유 🎤"


def test_longest_texts_are_accepted(api, admin):
    concert = create_concert(api, admin.token, title="가" * 200, artist="a" * 200,
                             description="설" * 4000)
    assert len(concert["title"]) == 200 and len(concert["description"]) == 4000
    assert create_venue(api, admin.token, name="홀" * 200)["name"] == "홀" * 200


ROW = {"seats": 2, "grade": "S", "price": 1000}
TOO_MUCH = [
    ("/api/v1/concerts", {"title": "", "artist": "x"}, "title"),
    ("/api/v1/concerts", {"title": "가" * 201, "artist": "x"}, "title"),
    ("/api/v1/concerts", {"title": "x", "artist": ""}, "artist"),
    ("/api/v1/concerts", {"title": "x", "artist": "a" * 201}, "artist"),
    ("/api/v1/concerts", {"title": "x", "artist": "x", "description": "d" * 4001}, "description"),
    ("/api/v1/venues", {"name": "", "rows": [ROW]}, "name"),
    ("/api/v1/venues", {"name": "n" * 201, "rows": [ROW]}, "name"),
    ("/api/v1/venues", {"name": "n", "rows": []}, "rows"),
    ("/api/v1/venues", {"name": "n", "rows": [ROW] * 101}, "rows"),
    ("/api/v1/venues", {"name": "n", "rows": [dict(ROW, seats=0)]}, "seats"),
    ("/api/v1/venues", {"name": "n", "rows": [dict(ROW, seats=201)]}, "seats"),
    ("/api/v1/venues", {"name": "n", "rows": [dict(ROW, grade="B")]}, "grade"),
    ("/api/v1/venues", {"name": "n", "rows": [dict(ROW, grade="vip")]}, "grade"),
    ("/api/v1/venues", {"name": "n", "rows": [ROW, dict(ROW, price=-1)]}, "price"),
    ("/api/v1/venues", {"name": "n", "rows": [dict(ROW, price=100000001)]}, "price"),
]


@pytest.mark.parametrize("path,body,field", TOO_MUCH)
def test_out_of_range_catalog_values_are_422(api, admin, unchanged, path, body, field):
    with unchanged():
        error = assert_error(api.post(path, body, token=admin.token), 422, "VALIDATION_FAILED")
        assert field in error["field"], error


@pytest.mark.parametrize("starts_at", [
    "2026-12-24T19:00:00", "tomorrow", "", "2026-02-30T10:00:00Z", "2026-12-24T25:00:00Z",
    "2026-12-24T19:00:00+9", "24/12/2026 19:00",
])
def test_unacceptable_start_time_is_422(api, admin, unchanged, starts_at):
    venue = create_venue(api, admin.token)
    concert = create_concert(api, admin.token)
    with unchanged():
        resp = api.post(f"{CONCERTS}/{concert['id']}/schedules",
                        {"venueId": venue["id"], "startsAt": starts_at}, token=admin.token)
        assert_error(resp, 422, "VALIDATION_FAILED", "startsAt")
