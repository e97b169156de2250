"""The images, read from their Dockerfiles (no Docker engine here): Debian 12 bases, a
non-root user, only runtime libraries in the final images, and health checks that ask the
port each program really serves /healthz on (the names and defaults of the config table)."""
import os
import re
import tempfile

import pytest

from deploy_support import ROOT, apt_packages, dockerfile_stages, inherited, read_text, stage_chain

PROGRAMS = os.path.join(ROOT, "deploy", "docker", "Dockerfile")
NGINX = os.path.join(ROOT, "deploy", "docker", "nginx.Dockerfile")
CONFIG_TABLE = os.path.join(ROOT, "shared", "src", "config.c")
BASE = "debian:12-slim"
# target -> the setting that names its /healthz port
HEALTH_PORT_SETTING = {"ingress": "FT_HTTP_PORT", "worker": "FT_WORKER_HTTP_PORT", "expirer": "FT_EXPIRER_HTTP_PORT"}
RUNTIME_LIBRARIES = ["librdkafka1", "libmicrohttpd12", "libpq5", "libjansson4", "libjwt0", "libcurl4", "libsodium23",
                     "libsimdjson14", "libmimalloc2.0"]
BUILD_TOOLS = {"build-essential", "gcc", "g++", "clang", "make", "cmake", "pkg-config", "libc6-dev", "binutils"}


def int_defaults():
    """NAME -> default of the INT(...) settings of the config table."""
    found = re.findall(r'INT\(\w+,\s*"(FT_\w+)",\s*-?\d+,\s*-?\d+,\s*"(-?\d+)"', read_text(CONFIG_TABLE))
    return dict(found)


def check_final_image(chain):
    """Debian 12 at the root, a non-root user, and no compiler or -dev package installed."""
    assert chain[-1].base == BASE, f"{chain[0].name} is built on {chain[-1].base}, not {BASE}"
    user = inherited(chain, "USER")
    assert user and user.split(":")[0] not in ("root", "0"), f"{chain[0].name} runs as {user!r}"
    packages = [p for stage in chain for p in apt_packages(stage)]
    unwanted = [p for p in packages if p.endswith("-dev") or p in BUILD_TOOLS]
    assert not unwanted, f"{chain[0].name} installs {unwanted}"


def check_program_target(stages, target, defaults):
    chain = stage_chain(stages, target)
    check_final_image(chain)
    packages = [p for stage in chain for p in apt_packages(stage)]
    assert set(RUNTIME_LIBRARIES) <= set(packages), f"{target} lacks {set(RUNTIME_LIBRARIES) - set(packages)}"
    # Only built programs, and for the ingress the buyer's static page (web/, no build step).
    allowed = ("--from=build /build/bin/",) + (("web/ ",) if target == "ingress" else ())
    for copied in chain[0].all("COPY"):
        assert copied.startswith(allowed), f"{target} copies more than the programs: {copied}"
    if target == "ingress":
        web = [c for c in chain[0].all("COPY") if c.startswith("web/ ")]
        env = " ".join(chain[0].all("ENV"))
        assert web and f"FT_WEB_ROOT={web[0].split()[1].rstrip('/')}" in env, \
            f"the ingress image must carry web/ and point FT_WEB_ROOT at it: {web} {env}"
    entrypoint = chain[0].last("ENTRYPOINT")
    assert entrypoint == f'["/usr/local/bin/ft-{target}"]', f"{target}: ENTRYPOINT {entrypoint}"
    health = inherited(chain, "HEALTHCHECK") or ""
    setting = HEALTH_PORT_SETTING[target]
    port = re.search(r"http://127\.0\.0\.1:\$\{(\w+):-(\d+)\}/healthz", health)
    assert port, f"{target}: the health check does not ask /healthz on a configured port: {health}"
    assert port.group(1) == setting, f"{target}: the health check reads {port.group(1)}, not {setting}"
    assert port.group(2) == defaults[setting], f"{target}: {setting} defaults to {defaults[setting]}, not {port.group(2)}"


def check_build_stage(stages):
    build = stages[0]
    run = " ".join(build.all("RUN"))
    assert "-DFT_BUILD_TESTS=OFF" in run and "-DCMAKE_BUILD_TYPE=RelWithDebInfo" in run, run
    # The load generator needs http-parser, which the stage does not install: without
    # FT_BUILD_BENCH=OFF, cmake stops before anything is compiled.
    assert "-DFT_BUILD_BENCH=OFF" in run or "libhttp-parser-dev" in apt_packages(build), run
    for program in ("ft-ingress", "ft-worker", "ft-expirer", "ft-admin"):
        assert program in run, f"the build stage does not build {program}"


def test_each_program_image():
    stages = dockerfile_stages(PROGRAMS)
    for target in HEALTH_PORT_SETTING:
        check_program_target(stages, target, int_defaults())


def test_the_build_stage_builds_the_programs_without_tests():
    check_build_stage(dockerfile_stages(PROGRAMS))


def test_the_build_stage_is_the_only_one_with_build_tools():
    stages = dockerfile_stages(PROGRAMS)
    assert "build-essential" in apt_packages(stages[0])
    assert all(not set(apt_packages(s)) & BUILD_TOOLS for s in stages[1:])


def test_the_nginx_image():
    stages = dockerfile_stages(NGINX)
    chain = stage_chain(stages, stages[-1].name)
    assert chain[-1].base == BASE
    assert "nginx" in apt_packages(chain[0])
    assert not [p for p in apt_packages(chain[0]) if p.endswith("-dev") or p in BUILD_TOOLS]
    # Its master process is root (ports 80/443, the container's stdout); the workers are not:
    # test_nginx.py checks the `user` directive. Its health check asks nginx's own location.
    assert "/nginx-healthz" in (chain[0].last("HEALTHCHECK") or "")
    assert "location = /nginx-healthz" in read_text(os.path.join(ROOT, "deploy", "nginx", "nginx.conf"))


MISTAKES = [
    ("runs as root", "USER fairticket\n", ""),
    ("a -dev package in the runtime image", "libmimalloc2.0 \\\n", "libmimalloc2.0 libpq-dev \\\n"),
    ("a compiler in the runtime image", "ca-certificates curl", "ca-certificates curl gcc"),
    ("another base", "FROM debian:12-slim AS runtime", "FROM debian:11-slim AS runtime"),
    ("a runtime library missing", " libjwt0 ", " "),
    ("a health check on a setting that does not exist",
     "${FT_WORKER_HTTP_PORT:-8081}", "${FT_WORKER_PORT:-8081}"),
    ("a health check on the wrong default port", "${FT_EXPIRER_HTTP_PORT:-8082}", "${FT_EXPIRER_HTTP_PORT:-8081}"),
    ("the build tree copied into the image", "COPY --from=build /build/bin/ft-worker", "COPY --from=build /src"),
]


@pytest.mark.parametrize("old,new", [(m[1], m[2]) for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_caught(old, new):
    text = read_text(PROGRAMS)
    assert old in text, f"the mistake's anchor {old!r} is no longer in the Dockerfile"
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile") as f:
        f.write(text.replace(old, new, 1))
        f.flush()
        stages = dockerfile_stages(f.name)
        with pytest.raises(AssertionError):
            for target in HEALTH_PORT_SETTING:
                check_program_target(stages, target, int_defaults())
