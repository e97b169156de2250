"""Dropping a test's own database, shared by tests/integration, tests/pipeline and tests/browser."""
import time

from psycopg2 import errors, sql


def drop_database(admin, name, seconds=10.0):
    """DROP DATABASE … WITH (FORCE) on the autocommit connection `admin`. FORCE ends our own
    sessions, but PostgreSQL refuses to end an autovacuum worker busy in the database for a
    role that is not a superuser (InsufficientPrivilege); such a worker is gone in moments,
    so the drop is tried again until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            return
        except (errors.InsufficientPrivilege, errors.ObjectInUse):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
