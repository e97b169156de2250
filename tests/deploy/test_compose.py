"""docker-compose.yml cannot run here (no Docker engine), so it is checked as far as a
parser can: against the Compose Specification's JSON schema after interpolation, then
start order, health checks, instance counts, published ports, the proxy the ingress
trusts, and that no secret is written in it or in the env template.

Each rule is a check_* function that raises AssertionError; the tests run each on the
committed files, and test_each_check_catches_its_mistake runs each on a copy with one
mistake put in, so that a check that cannot fail is found out."""
import copy
import ipaddress
import json
import os
import re

import pytest
from jsonschema import Draft202012Validator

from deploy_support import (ROOT, SECRET_NAME, MissingVariable, build_of, compose, depends_on, instances,
                            dockerfile_stages, env_template, filled_env, inherited, interpolate,
                            is_one_shot, raw_compose, replicas, stage_chain)

SCHEMA = os.path.join(os.path.dirname(__file__), "compose-spec", "compose-spec.json")
GO_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


# --- what the services are --------------------------------------------------------------

def image_healthcheck(services, name):
    """The HEALTHCHECK the service's image declares, if it is built here."""
    build = build_of(services, name)
    if not build:
        return None
    stages = dockerfile_stages(os.path.join(ROOT, build.get("context", "."), build.get("dockerfile", "Dockerfile")))
    target = build.get("target", stages[-1].name)
    return inherited(stage_chain(stages, target), "HEALTHCHECK")


def has_health(services, name):
    own = services[name].get("healthcheck")
    if own is not None:
        return not own.get("disable", False)
    check = image_healthcheck(services, name)
    return check is not None and check.upper() != "NONE"


# --- the rules ---------------------------------------------------------------------------

def check_schema(doc):
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])
    # Durations are plain strings to the schema; Compose reads them as Go durations ("1m30s").
    for name, service in doc["services"].items():
        durations = dict(service.get("healthcheck") or {}, stop_grace_period=service.get("stop_grace_period"))
        for key in ("interval", "timeout", "start_period", "start_interval", "stop_grace_period"):
            value = durations.get(key)
            assert value is None or GO_DURATION.fullmatch(str(value)), f"{name}: {key} {value!r} is not a duration"


def check_health_or_one_shot(doc):
    services = doc["services"]
    for name, service in services.items():
        assert is_one_shot(service) or has_health(services, name), \
            f"{name} runs for good but has no health check"
        if not is_one_shot(service):
            assert service.get("restart") in ("unless-stopped", "always", "on-failure"), \
                f"{name}: a long-running service should come back after a crash"


def check_start_order(doc):
    services = doc["services"]
    for name in services:
        for dependency, condition in depends_on(services[name]).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition == "service_healthy":
                assert has_health(services, dependency), f"{name} waits for {dependency} to be healthy; it has no check"
            if condition == "service_completed_successfully":
                assert is_one_shot(services[dependency]), f"{name} waits for {dependency} to finish; it never does"
    assert depends_on(services["migrate"]).get("postgres") == "service_healthy"
    assert depends_on(services["topics"]).get("kafka") == "service_healthy"
    setup = {"postgres": "service_healthy", "kafka": "service_healthy",
             "migrate": "service_completed_successfully", "topics": "service_completed_successfully"}
    for program in ("ingress", "worker", "expirer"):
        for name in instances(services, program):
            deps = depends_on(services[name])
            for dependency, condition in setup.items():
                assert deps.get(dependency) == condition, f"{name} must wait for {dependency}: {condition}"
    nginx = depends_on(services["nginx"])
    for name in instances(services, "ingress"):
        assert nginx.get(name) == "service_healthy", f"nginx must wait for {name} to be healthy"


def check_instances(doc):
    services = doc["services"]
    assert sum(instances(services, "ingress").values()) >= 2, instances(services, "ingress")
    workers = instances(services, "worker")
    assert sum(workers.values()) >= 2, workers
    groups = {services[name]["environment"].get("FT_WORKER_GROUP", "ft-workers") for name in workers}
    assert len(groups) == 1, f"the workers must share one consumer group: {groups}"
    assert sum(instances(services, "expirer").values()) == 1


def check_published_ports(doc):
    for name, service in doc["services"].items():
        ports = [str(p) for p in service.get("ports", [])]
        if name == "nginx":
            assert sorted(ports) == ["443:443", "80:80"], ports
        else:
            assert not ports, f"{name} publishes {ports}: only nginx faces the network"


def check_trusted_proxy(doc):
    services, networks = doc["services"], doc["networks"]
    ingress = instances(services, "ingress")
    for name in ingress:
        assert replicas(services[name]) == 1, f"{name}: replicas cannot share one fixed address"
        trusted = services[name]["environment"].get("FT_TRUSTED_PROXIES", "")
        shared = set(services[name]["networks"]) & set(services["nginx"]["networks"])
        assert len(shared) == 1, f"{name} and nginx must share exactly one network: {shared}"
        network = shared.pop()
        nginx_address = services["nginx"]["networks"][network]["ipv4_address"]
        assert trusted == nginx_address, f"{name} trusts {trusted!r}; nginx is {nginx_address}"
        subnet = ipaddress.ip_network(networks[network]["ipam"]["config"][0]["subnet"])
        own = services[name]["networks"][network]["ipv4_address"]
        assert ipaddress.ip_address(nginx_address) in subnet and ipaddress.ip_address(own) in subnet
        others = [n for n, s in services.items() if network in (s.get("networks") or []) and n not in ingress]
        assert others == ["nginx"], f"only nginx may reach the ingress directly: {others}"


def check_no_secret_in_compose(raw):
    for name, service in raw["services"].items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert str(value).startswith("${"), f"{name}: {key} has a literal value"
        assert "env_file" not in service or service["env_file"] in (".env", [".env"]), name


def check_template_has_no_secret_values(template):
    for name, value in template.items():
        if SECRET_NAME.search(name):
            assert value == "", f"env.template carries a value for {name}"


# --- the tests on the committed files ----------------------------------------------------

def test_the_file_is_valid_against_the_compose_schema():
    check_schema(compose())


def test_every_service_has_a_health_check_or_is_a_one_shot_job():
    check_health_or_one_shot(compose())


def test_start_order():
    check_start_order(compose())


def test_two_ingress_instances_and_two_workers_in_one_group():
    check_instances(compose())


def test_only_nginx_publishes_ports():
    check_published_ports(compose())


def test_the_ingress_trusts_forwarded_addresses_from_nginx_only():
    check_trusted_proxy(compose())


def test_no_secret_value_is_committed():
    check_no_secret_in_compose(raw_compose())
    check_template_has_no_secret_values(env_template())


def test_every_variable_the_file_uses_is_in_the_env_template():
    used = set()
    interpolate(raw_compose(), filled_env(), used)
    missing = used - set(env_template())
    assert not missing, f"add to deploy/env.template: {sorted(missing)}"


def test_compose_refuses_to_start_without_the_secrets():
    for secret in ("FT_JWT_SECRET", "FT_POSTGRES_PASSWORD"):
        env = dict(filled_env(), **{secret: ""})
        with pytest.raises(MissingVariable, match=secret):
            compose(env)


def test_the_payment_provider_settings_are_in_the_template_without_values():
    template = env_template()
    for name in ("FT_PORTONE_BASE_URL", "FT_PORTONE_IMP_KEY", "FT_PORTONE_IMP_SECRET"):
        assert template.get(name) == "", name


def test_builds_name_dockerfiles_and_targets_that_exist():
    services = compose()["services"]
    for name in services:
        build = build_of(services, name)
        if build is None:
            assert "image" in services[name], name
            continue
        path = os.path.join(ROOT, build.get("context", "."), build.get("dockerfile", "Dockerfile"))
        assert os.path.isfile(path), f"{name}: {path} is missing"
        if "target" in build:
            assert build["target"] in {s.name for s in dockerfile_stages(path)}, f"{name}: no stage {build['target']}"


def test_bind_mounts_name_files_of_the_repository():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert os.path.exists(os.path.join(ROOT, source)), f"{name}: {source} does not exist"


# --- each check can fail -----------------------------------------------------------------

MISTAKES = [
    ("schema: an unknown depends_on condition", check_schema,
     lambda d: d["services"]["nginx"]["depends_on"]["ingress-1"].update(condition="service_ready")),
    ("schema: a duration Compose cannot read", check_schema,
     lambda d: d["services"]["kafka"]["healthcheck"].update(interval="10 seconds")),
    ("schema: a misspelt key", check_schema,
     lambda d: d["services"]["expirer"].update(helthcheck={"test": ["CMD", "true"]})),
    ("a long-running service without a health check", check_health_or_one_shot,
     lambda d: d["services"]["postgres"].pop("healthcheck")),
    ("a program image's health check switched off", check_health_or_one_shot,
     lambda d: d["services"]["expirer"].update(healthcheck={"disable": True})),
    ("nginx not waiting for the second ingress", check_start_order,
     lambda d: d["services"]["nginx"]["depends_on"].pop("ingress-2")),
    ("an ingress only waiting for the migrations to start", check_start_order,
     lambda d: d["services"]["ingress-1"]["depends_on"]["migrate"].update(condition="service_started")),
    ("a worker not waiting for the migrations", check_start_order,
     lambda d: d["services"]["worker"]["depends_on"].pop("migrate")),
    ("migrations not waiting for PostgreSQL", check_start_order,
     lambda d: d["services"]["migrate"].pop("depends_on")),
    ("one worker", check_instances, lambda d: d["services"]["worker"]["deploy"].update(replicas=1)),
    ("one ingress", check_instances, lambda d: d["services"].pop("ingress-2")),
    ("an ingress port published", check_published_ports,
     lambda d: d["services"]["ingress-1"].update(ports=["8080:8080"])),
    ("an ingress trusting the whole network", check_trusted_proxy,
     lambda d: d["services"]["ingress-2"]["environment"].update(FT_TRUSTED_PROXIES="172.30.80.0/24")),
    ("the worker on the ingress's network", check_trusted_proxy,
     lambda d: d["services"]["worker"].update(networks=["back", "front"])),
    ("a literal secret in the compose file", check_no_secret_in_compose,
     lambda d: d["services"]["ingress-1"]["environment"].update(FT_JWT_SECRET="s3cr3t-value")),
    ("a secret value in the env template", check_template_has_no_secret_values,
     lambda t: t.update(FT_PORTONE_IMP_SECRET="abc")),
]


@pytest.mark.parametrize("check,mistake", [(m[1], m[2]) for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_check_catches_its_mistake(check, mistake):
    if check is check_template_has_no_secret_values:
        subject = env_template()
    elif check is check_no_secret_in_compose:
        subject = raw_compose()
    else:
        subject = copy.deepcopy(compose())
    check(subject)  # the committed file passes ...
    mistake(subject)
    with pytest.raises(AssertionError):
        check(subject)  # ... and the same file with the mistake does not
