"""A test's own database: made by tests/integration and tests/pipeline, dropped by those and by
tests/browser."""
import os
import subprocess
import time

from psycopg2 import errors, sql


def create_database(admin, base_url, name):
    """CREATE DATABASE on the autocommit connection `admin`, migrated by deploy/local/migrate.sh
    as the stack's is; returns its URL (base_url with the database's name in place of its own)."""
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = base_url.rsplit("/", 1)[0] + "/" + name
    migrate = os.path.join(os.environ["FT_REPO_ROOT"], "deploy", "local", "migrate.sh")
    subprocess.run([migrate, url], check=True, capture_output=True)
    return url


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
