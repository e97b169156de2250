"""Bearer tokens: only an unexpired HS256 token signed with the server's secret, naming
an existing user, opens /users/me."""
import base64
import json
import secrets
import time

import jwt
import pytest

from ft_support import JWT_SECRET, assert_error, describe

ME = "/api/v1/users/me"


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def server_claims(user):
    return jwt.decode(user.token, JWT_SECRET, algorithms=["HS256"])


def like_sub(claims, number):
    """A user id in the JSON type the server itself uses for `sub`."""
    return number if isinstance(claims["sub"], int) else str(number)


def fresh(claims, **changes):
    now = int(time.time())
    out = dict(claims, iat=now, exp=now + 600)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def sign(claims, key=JWT_SECRET, alg="HS256"):
    return jwt.encode(claims, key, algorithm=alg)


def me(api, token):
    return api.get(ME, headers={"Authorization": f"Bearer {token}"})


def test_missing_authorization_is_auth_required(api):
    resp = api.get(ME)
    assert_error(resp, 401, "AUTH_REQUIRED")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_scheme_is_refused(api, user):
    resp = api.get(ME, headers={"Authorization": f"Basic {user.token}"})
    assert resp.status_code == 401, describe(resp)
    assert resp.json()["error"]["code"] in ("AUTH_REQUIRED", "INVALID_TOKEN")


BAD_TOKENS = {
    "garbage": lambda c: "not-a-token",
    "three garbage parts": lambda c: "abc.def.ghi",
    "other secret": lambda c: sign(fresh(c), secrets.token_hex(32)),
    "expired": lambda c: sign(fresh(c, iat=int(time.time()) - 7200, exp=int(time.time()) - 60)),
    "alg none": lambda c: b64({"alg": "none", "typ": "JWT"}) + "." + b64(fresh(c)) + ".",
    "alg none with signature": lambda c: (b64({"alg": "none", "typ": "JWT"}) + "."
                                          + b64(fresh(c)) + "." + sign(fresh(c)).split(".")[2]),
    "HS512 right secret": lambda c: sign(fresh(c), alg="HS512"),
    "no exp": lambda c: sign(fresh(c, exp=None)),
    "signature stripped": lambda c: sign(fresh(c)).rsplit(".", 1)[0] + ".",
    "payload altered": lambda c: ".".join([sign(fresh(c)).split(".")[0],
                                           b64(fresh(c, exp=int(time.time()) + 99999)),
                                           sign(fresh(c)).split(".")[2]]),
    "sub not a number": lambda c: sign(fresh(c, sub="abc")),
    "sub number with junk": lambda c: sign(fresh(c, sub=f"{c['sub']}x")),
    "sub empty": lambda c: sign(fresh(c, sub="")),
    "sub negative": lambda c: sign(fresh(c, sub=like_sub(c, -1))),
    "sub huge": lambda c: sign(fresh(c, sub="99999999999999999999")),
    "unknown user": lambda c: sign(fresh(c, sub=like_sub(c, 9223372036854775807))),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_invalid_token(api, user, case):
    token = BAD_TOKENS[case](server_claims(user))
    resp = me(api, token)
    assert_error(resp, 401, "INVALID_TOKEN")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_forged_with_the_right_secret_is_accepted(api, user):
    resp = me(api, sign(fresh(server_claims(user))))
    assert resp.status_code == 200, describe(resp)
    assert resp.body["id"] == user.id and resp.body["email"].lower() == user.email.lower()


def test_token_of_a_deleted_user_is_refused(api, db, user):
    assert me(api, user.token).status_code == 200
    db.rows("DELETE FROM users WHERE id = %s RETURNING id", user.id)
    assert_error(me(api, user.token), 401, "INVALID_TOKEN")
