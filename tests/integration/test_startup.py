"""The server refuses to start with a missing or weak JWT secret, or a malformed
setting, and says which setting is at fault."""
import os
import subprocess

import pytest

STRONG = "k3Jd9-Qm2_xV7pLz0aR5tY8uWc4bN6eH1sGf0aZ"


def start(**settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FT_")}
    env.update(FT_HTTP_PORT="1", FT_DATABASE_URL=os.environ["FT_TEST_DATABASE_URL"],
               FT_KAFKA_BROKERS=os.environ["FT_KAFKA_BROKERS"])
    env.update(settings)
    return subprocess.run([os.environ["FT_INGRESS_BIN"]], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("secret", [None, "", "short-secret", "a" * 64, "ab" * 32])
def test_missing_or_weak_jwt_secret_stops_start_up(secret):
    settings = {} if secret is None else {"FT_JWT_SECRET": secret}
    result = start(**settings)
    assert result.returncode != 0
    assert "FT_JWT_SECRET" in result.stderr


@pytest.mark.parametrize("name,value", [("FT_HTTP_PORT", "80x"), ("FT_HTTP_PORT", "70000"),
                                        ("FT_HTTP_MAX_BODY_BYTES", "-1"), ("FT_LOG_LEVEL", "loud")])
def test_malformed_setting_stops_start_up_naming_it(name, value):
    result = start(FT_JWT_SECRET=STRONG, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_help_lists_every_setting_with_its_default():
    result = subprocess.run([os.environ["FT_INGRESS_BIN"], "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for name in ("FT_HTTP_PORT", "FT_DATABASE_URL", "FT_KAFKA_BROKERS", "FT_JWT_SECRET", "FT_HTTP_MAX_BODY_BYTES"):
        assert name in result.stdout
