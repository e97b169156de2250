"""A request token shaped like the ingress's (ingress/request_token.c), for tests that put
commands on Kafka or rows in PostgreSQL themselves: the millisecond it was made as 12 hex
digits, then 16 random bytes as 22 characters of base64url."""
import base64
import secrets
import time


def new_request_token():
    return f"{int(time.time() * 1000):012x}" + base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
