"""Session fixtures: the ingress under test (sanitizer build) on a free loopback port,
the test database, an admin and fresh users. Missing configuration fails the run."""
import os
import sys

# The helpers both test folders share (tests/support/: service.py, request_token.py, databases.py,
# kafka_topics.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

import psycopg2
import pytest
import requests

from ft_support import (JWT_SECRET, MAX_BODY, Account, Api, create_concert, create_venue,
                        describe, login, new_user, random_email)
from databases import create_database, drop_database
from service import SANITIZER_MARKS

REQUIRED = ("FT_INGRESS_BIN", "FT_ADMIN_BIN", "FT_TEST_DATABASE_URL",
            "FT_KAFKA_BROKERS", "FT_TOPIC_COMMANDS", "FT_TOPIC_OUTCOMES")


def pytest_configure(config):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            "integration tests need these environment variables (they never skip): "
            + ", ".join(missing))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path, lines=80):
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(proc, base, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ingress exited with {proc.returncode} during start-up:\n{_tail(log_path)}")
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"ingress not healthy after {timeout}s:\n{_tail(log_path)}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    binary = os.environ["FT_INGRESS_BIN"]
    assert os.access(binary, os.X_OK), f"FT_INGRESS_BIN={binary} is not an executable"
    port = _free_port()
    log_path = tmp_path_factory.mktemp("ingress") / "ingress.log"
    env = dict(os.environ, FT_HTTP_ADDR="127.0.0.1", FT_HTTP_PORT=str(port),
               FT_DATABASE_URL=os.environ["FT_TEST_DATABASE_URL"],
               FT_JWT_SECRET=JWT_SECRET, FT_JWT_TTL_SECONDS="3600",
               FT_HTTP_MAX_BODY_BYTES=str(MAX_BODY), FT_LOG_LEVEL="info")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log_path)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    yield Api(base, port)

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"ingress still running 15 s after SIGTERM:\n{_tail(log_path)}")
    assert code == 0, f"ingress exited with {code} after SIGTERM:\n{_tail(log_path)}"
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    found = [mark for mark in SANITIZER_MARKS if mark in log_text]
    assert not found, f"sanitizer reports {found} in {log_path}:\n{_tail(log_path)}"


@pytest.fixture
def api(server):
    return server


class Db:
    TABLES = ("users", "venues", "venue_rows", "concerts", "schedules", "seats")

    def __init__(self, conn):
        self.conn = conn

    def rows(self, sql, *params):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def value(self, sql, *params):
        rows = self.rows(sql, *params)
        assert len(rows) == 1, f"{sql} gave {len(rows)} rows"
        return rows[0][0]

    def counts(self):
        return {t: self.value(f"SELECT count(*) FROM {t}") for t in self.TABLES}


@pytest.fixture(scope="session")
def db():
    conn = psycopg2.connect(os.environ["FT_TEST_DATABASE_URL"])
    conn.autocommit = True
    yield Db(conn)
    conn.close()


@pytest.fixture
def unchanged(db, api):
    """Use as `with unchanged(): ...` — the block must leave every catalog and account
    table as it was, and the server healthy."""
    @contextmanager
    def guard():
        before = db.counts()
        yield
        assert db.counts() == before, "a refused request changed the database"
        api.healthy()
    return guard


@pytest.fixture(scope="session")
def admin(server):
    email, password = random_email("admin"), "admin-pw-" + os.urandom(6).hex()
    env = dict(os.environ, FT_ADMIN_PASSWORD=password,
               FT_DATABASE_URL=os.environ["FT_TEST_DATABASE_URL"])
    done = subprocess.run([os.environ["FT_ADMIN_BIN"], "create-admin", "--email", email,
                           "--name", "Admin"], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, f"create-admin failed ({done.returncode}): {done.stdout!r} {done.stderr!r}"
    token = login(server, email, password)
    me = server.get("/api/v1/users/me", token=token)
    assert me.status_code == 200 and me.body["role"] == "ADMIN", describe(me)
    return Account(me.body["id"], email, password, "Admin", token)


@pytest.fixture
def user(server):
    return new_user(server)


@pytest.fixture(scope="session")
def catalog(server, admin):
    """A concert and a venue to aim schedule requests at, and the admin's credentials
    for login requests (the context BODY_ROUTES builds valid bodies from)."""
    concert = create_concert(server, admin.token)
    venue = create_venue(server, admin.token)
    return {"concert": concert["id"], "venue": venue["id"],
            "email": admin.email, "password": admin.password}


@pytest.fixture
def topics():
    """A private pair of commands/outcomes topics, deleted afterwards."""
    from pipeline_helpers import TopicPair
    pair = TopicPair(partitions=4)
    yield pair
    pair.delete()


@pytest.fixture
def database():
    """A fresh, migrated database, dropped afterwards; yields its URL."""
    import secrets
    base = os.environ["FT_TEST_DATABASE_URL"]
    name = "ft_it_ingress_" + secrets.token_hex(4)
    admin_conn = psycopg2.connect(base)
    admin_conn.autocommit = True
    yield create_database(admin_conn, base, name)
    drop_database(admin_conn, name)
    admin_conn.close()
