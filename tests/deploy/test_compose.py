"""docker-compose.yml cannot run here (no Docker engine), so it is checked as far as a
parser can: its structure, the files it names, start order, and that no secret is
written in it."""
import os
import re

import yaml

ROOT = os.environ.get("FT_REPO_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load():
    with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_every_service_has_an_image_or_a_build_whose_dockerfile_exists():
    services = load()["services"]
    assert services, "no services"
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        build = service.get("build")
        if build:
            dockerfile = os.path.join(ROOT, build.get("context", "."), build.get("dockerfile", "Dockerfile"))
            assert os.path.isfile(dockerfile), f"{name}: {dockerfile} is missing"


def test_bind_mounts_name_files_of_the_repository():
    for name, service in load()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert os.path.exists(os.path.join(ROOT, source)), f"{name}: {source} does not exist"


def test_start_order_names_real_services_with_known_conditions():
    services = load()["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert rule["condition"] in {"service_started", "service_healthy", "service_completed_successfully"}
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"


def test_no_secret_value_is_committed():
    secret = re.compile(r"(SECRET|PASSWORD|KEY)", re.I)
    for name, service in load()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secret.search(key):
                assert str(value).startswith("${"), f"{name}: {key} has a literal value"
    with open(os.path.join(ROOT, "deploy", "env.template"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#") and secret.search(line.split("=")[0]):
                assert line.strip().endswith("="), f"env.template carries a value: {line.strip()}"


def test_the_ingress_is_published_on_loopback_only():
    ports = load()["services"]["ingress"]["ports"]
    assert all(str(p).startswith("127.0.0.1:") for p in ports), ports
