"""Broken JSON bodies on every route that takes one: a 400 with the right code,
nothing written, and the server still healthy."""
import json

import pytest

from ft_support import BODY_ROUTES, assert_error, describe

MALFORMED = {
    "unterminated": b'{"email": ',
    "not json": b"{not json}",
    "trailing comma": b'{"a": 1,}',
    "single quotes": b"{'a': 1}",
    "two objects": b"{}{}",
    "trailing junk": b"{} x",
    "empty": b"",
    "whitespace": b"  \n ",
    "bad utf-8": b'{"a": "\xff\xfe"}',
}
NOT_OBJECT = {"array": b"[]", "array of object": b"[{}]", "string": b'"text"',
              "number": b"42", "null": b"null", "boolean": b"true"}
WRONG = {
    str: {"integer": 123, "float": 1.5, "boolean": True, "array": ["x"], "object": {}},
    int: {"string": "1", "float": 1.5, "boolean": True, "array": [1], "object": {}},
    list: {"string": "rows", "integer": 5, "object": {}, "boolean": False},
}
FIELDS = {  # route: [(field, type, required)]
    "signup": [("email", str, True), ("password", str, True), ("name", str, True)],
    "login": [("email", str, True), ("password", str, True)],
    "concert": [("title", str, True), ("artist", str, True), ("description", str, False)],
    "venue": [("name", str, True), ("rows", list, True)],
    "schedule": [("venueId", int, True), ("startsAt", str, True)],
}
ROW = {"seats": 2, "grade": "S", "price": 1000}
NESTED = {  # venue rows: (rows, code, the field at fault, spelt as in a range error)
    "row is a number": ([5], "INVALID_TYPE", "rows[0]"),
    "row is an array": ([[2, "S", 1000]], "INVALID_TYPE", "rows[0]"),
    "seats as string": ([dict(ROW, seats="2")], "INVALID_TYPE", "rows[0].seats"),
    "seats as float": ([ROW, dict(ROW, seats=2.5)], "INVALID_TYPE", "rows[1].seats"),
    "grade as number": ([dict(ROW, grade=1)], "INVALID_TYPE", "rows[0].grade"),
    "price as string": ([dict(ROW, price="1000")], "INVALID_TYPE", "rows[0].price"),
    "price as boolean": ([dict(ROW, price=True)], "INVALID_TYPE", "rows[0].price"),
    "seats missing": ([{"grade": "S", "price": 1}], "MISSING_FIELD", "rows[0].seats"),
    "grade null": ([dict(ROW, grade=None)], "MISSING_FIELD", "rows[0].grade"),
    "price missing": ([{"seats": 2, "grade": "S"}], "MISSING_FIELD", "rows[0].price"),
    "row with a member too many": ([ROW, dict(ROW, colour="red")], "UNKNOWN_FIELD", "rows[1].colour"),
    # 80 bytes of name: the field (63 bytes at most) is cut between characters, or it would
    # not be JSON and the answer would lose it.
    "row member with a long name": ([dict(ROW, **{"\u00e9" * 40: 1})], "UNKNOWN_FIELD",
                                    "rows[0]." + "\u00e9" * 27),
}


def _dump(value):
    return json.dumps(value).encode()


def _cases():
    for route, fields in FIELDS.items():
        for name, raw in MALFORMED.items():
            yield pytest.param(route, lambda v, raw=raw: raw, "MALFORMED_JSON", None,
                               id=f"{route}-{name}")
        yield pytest.param(route, lambda v: _dump(v)[:-3], "MALFORMED_JSON", None,
                           id=f"{route}-truncated")
        for name, raw in NOT_OBJECT.items():
            yield pytest.param(route, lambda v, raw=raw: raw, "INVALID_TYPE", None,
                               id=f"{route}-body is {name}")
        for field, kind, required in fields:
            if required:
                yield pytest.param(route, lambda v, f=field: _dump({k: x for k, x in v.items()
                                                                      if k != f}),
                                   "MISSING_FIELD", field, id=f"{route}-{field} missing")
                yield pytest.param(route, lambda v, f=field: _dump(dict(v, **{f: None})),
                                   "MISSING_FIELD", field, id=f"{route}-{field} null")
            for name, bad in WRONG[kind].items():
                yield pytest.param(route, lambda v, f=field, b=bad: _dump(dict(v, **{f: b})),
                                   "INVALID_TYPE", field, id=f"{route}-{field} {name}")
        # A member the route does not take, misspelt or not: refused, not ignored.
        yield pytest.param(route, lambda v: _dump(dict(v, extra=1)), "UNKNOWN_FIELD", "extra",
                           id=f"{route}-unknown member")
        misspelt = fields[0][0].upper()
        yield pytest.param(route, lambda v, f=fields[0][0], m=misspelt: _dump({m if k == f else k: x
                                                                               for k, x in v.items()}),
                           "UNKNOWN_FIELD", misspelt, id=f"{route}-misspelt member")
    for name, (rows, code, field) in NESTED.items():
        yield pytest.param("venue", lambda v, r=rows: _dump(dict(v, rows=r)), code, field,
                           id=f"venue-{name}")


def send(api, admin, catalog, route, body):
    path, needs_admin, _ = BODY_ROUTES[route]
    return api.call("POST", path.format(**catalog), data=body,
                    headers={"Content-Type": "application/json"},
                    token=admin.token if needs_admin else None)


@pytest.mark.parametrize("route", sorted(BODY_ROUTES))
def test_valid_body_is_accepted(api, admin, catalog, route):
    """The control for every case below: the same route with the untouched body works."""
    resp = send(api, admin, catalog, route, _dump(BODY_ROUTES[route][2](catalog)))
    assert resp.status_code in (200, 201), describe(resp)


@pytest.mark.parametrize("route,make,code,field", list(_cases()))
def test_broken_body_is_400(api, admin, catalog, unchanged, route, make, code, field):
    body = make(BODY_ROUTES[route][2](catalog))
    with unchanged():
        error = assert_error(send(api, admin, catalog, route, body), 400, code)
    if field is not None:
        assert error.get("field") == field, error
