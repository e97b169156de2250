"""Signup, login and /users/me."""
import json
import secrets
import time

import jwt
import pytest

from ft_support import JWT_SECRET, assert_error, describe, parse_time, random_email

SIGNUP = "/api/v1/users/signup"
LOGIN = "/api/v1/users/login"


def signup(api, **fields):
    body = {"email": random_email(), "password": "correct horse", "name": "Kim"}
    body.update(fields)
    return body, api.post(SIGNUP, body)


def test_signup_makes_a_user_and_refuses_to_be_asked_for_admin(api, db):
    asked, refused = signup(api, role="ADMIN")
    assert_error(refused, 400, "UNKNOWN_FIELD", "role")
    assert db.value("SELECT count(*) FROM users WHERE lower(email) = lower(%s)", asked["email"]) == 0
    body, resp = signup(api)
    assert resp.status_code == 201, describe(resp)
    user = resp.body
    assert user["role"] == "USER"
    assert user["email"].lower() == body["email"].lower() and user["name"] == "Kim"
    assert abs(time.time() - parse_time(user["createdAt"]).timestamp()) < 300
    assert db.value("SELECT role FROM users WHERE id = %s", user["id"]) == "USER"


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/json; charset=utf-8"},
                                     {"Content-Type": "Application/JSON ; charset=utf-8"},
                                     {"Content-Type": "application/json\t;charset=utf-8"}])
def test_signup_accepts_json_without_or_with_parameterised_content_type(api, headers):
    body = {"email": random_email(), "password": "correct horse", "name": "Lee"}
    resp = api.call("POST", SIGNUP, data=json.dumps(body).encode(), headers=headers)
    assert resp.status_code == 201, describe(resp)


def test_duplicate_email_in_any_letter_case_is_409(api, db, unchanged):
    body, first = signup(api, email=random_email("Dup"))
    assert first.status_code == 201, describe(first)
    with unchanged():
        for email in (body["email"], body["email"].upper(), body["email"].lower()):
            assert_error(api.post(SIGNUP, dict(body, email=email)), 409, "EMAIL_TAKEN")


@pytest.mark.parametrize("field,value", [
    ("email", "plainaddress"), ("email", "@example.com"), ("email", "a@@example.com"),
    ("email", "a@b@example.com"), ("email", "a@example"), ("email", "a@example."),
    ("email", "a@.example"), ("email", "a b@example.com"), ("email", "a@exa mple.com"),
    ("email", "a\t@example.com"), ("email", "a\u0001@example.com"), ("email", ""),
    ("email", "a" * 243 + "@example.com"),
    ("password", "seven77"), ("password", ""), ("password", "p" * 129),
    ("password", "비밀번호"),  # 12 bytes but 4 characters
    ("name", ""), ("name", "n" * 101), ("name", "김" * 101),
])
def test_unacceptable_signup_values_are_422(api, unchanged, field, value):
    with unchanged():
        _, resp = signup(api, **{field: value})
        assert_error(resp, 422, "VALIDATION_FAILED", field)


def test_boundary_values_are_accepted_and_stored_verbatim(api, db):
    name = "김" * 99 + "'"
    body, resp = signup(api, password="가" * 128, name=name)
    assert resp.status_code == 201, describe(resp)
    assert resp.body["name"] == name
    assert db.value("SELECT name FROM users WHERE id = %s", resp.body["id"]) == name
    assert api.post(LOGIN, {"email": body["email"], "password": "가" * 128}).status_code == 200
    _, resp = signup(api, password="12345678", email=f"{secrets.token_hex(4)}@b.co")
    assert resp.status_code == 201, describe(resp)


def test_login_issues_a_bearer_token_for_the_user(api):
    body, created = signup(api, email=random_email("MiXeD"))
    assert created.status_code == 201, describe(created)
    resp = api.post(LOGIN, {"email": body["email"].lower(), "password": body["password"]})
    assert resp.status_code == 200, describe(resp)
    result = resp.body
    assert result["tokenType"] == "Bearer" and result["expiresIn"] == 3600
    assert jwt.get_unverified_header(result["accessToken"])["alg"] == "HS256"
    claims = jwt.decode(result["accessToken"], JWT_SECRET, algorithms=["HS256"])
    assert str(claims["sub"]) == str(created.body["id"])
    assert abs(claims["exp"] - time.time() - 3600) < 120

    me = api.get("/api/v1/users/me", token=result["accessToken"])
    assert me.status_code == 200, describe(me)
    assert me.body == created.body


def test_wrong_password_and_unknown_email_look_the_same(api, user):
    wrong = api.post(LOGIN, {"email": user.email, "password": user.password + "x"})
    unknown = api.post(LOGIN, {"email": random_email("nobody"), "password": user.password})
    odd = api.post(LOGIN, {"email": "not-an-email", "password": user.password})
    for resp in (wrong, unknown, odd):
        assert_error(resp, 401, "INVALID_CREDENTIALS")
    assert wrong.json() == unknown.json() == odd.json()
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def test_password_is_stored_as_argon2id(api, db, user):
    stored = db.value("SELECT password_hash FROM users WHERE id = %s", user.id)
    assert stored.startswith("$argon2id$"), stored[:20]
    assert user.password not in stored
