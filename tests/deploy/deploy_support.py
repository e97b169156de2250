"""Readers for the deployment files, shared by the tests of tests/deploy/: the compose file
as Compose itself would see it (anchors merged, ${...} interpolated from an env file), the
env template, and the stages of a Dockerfile. No Docker engine is needed."""
import os
import re
import shlex

import yaml

ROOT = os.environ.get("FT_REPO_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPOSE_FILE = os.path.join(ROOT, "docker-compose.yml")
ENV_TEMPLATE = os.path.join(ROOT, "deploy", "env.template")
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|KEY)", re.I)
PROGRAM_DOCKERFILE = "deploy/docker/Dockerfile"

# Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+other}, ${NAME+other}.
_VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(Exception):
    """A ${NAME:?...} or ${NAME?...} whose variable is unset (Compose refuses to start)."""


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def raw_compose(text=None):
    """The compose file as YAML: anchors and merge keys resolved, nothing interpolated."""
    return yaml.safe_load(read_text(COMPOSE_FILE) if text is None else text)


def env_template():
    """The env template's NAME=value lines, in order, as a dict."""
    values = {}
    for line in read_text(ENV_TEMPLATE).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"env.template: not NAME=value: {line!r}"
            values[name.strip()] = value
    return values


def filled_env():
    """The template as an operator fills it: every secret given a value, the rest as committed."""
    return {name: (value or "filled-" + name.lower()) if SECRET_NAME.search(name) else value
            for name, value in env_template().items()}


def _interpolate_text(text, env, used):
    def replace(match):
        if match.group(1):
            return "$"
        name = match.group(2) or match.group(5)
        used.add(name)
        op, arg = match.group(3), match.group(4) or ""
        value = env.get(name)
        empty_counts = op is not None and op.startswith(":")
        unset = value is None or (empty_counts and value == "")
        if op in (":-", "-"):
            return arg if unset else value
        if op in (":?", "?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return "" if unset else arg
        return value or ""
    return _VARIABLE.sub(replace, text)


def interpolate(node, env, used=None):
    """Interpolates every string value of a YAML tree; collects the variable names into `used`."""
    used = set() if used is None else used
    if isinstance(node, dict):
        return {key: interpolate(value, env, used) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env, used) for value in node]
    if isinstance(node, str):
        return _interpolate_text(node, env, used)
    return node


def compose(env=None):
    """The compose file as `docker compose config` would see it with the filled template."""
    return interpolate(raw_compose(), filled_env() if env is None else env)


def build_of(services, name):
    """The build section of a service, or of the service that builds its image."""
    service = services[name]
    if "build" in service:
        return service["build"]
    for other in services.values():
        if other.get("image") == service.get("image") and "build" in other:
            return other["build"]
    return None


def program_of(services, name):
    """ingress, worker or expirer when the service runs that program (the Dockerfile target
    with its own entrypoint); None for anything else, one-shot tools included."""
    build = build_of(services, name)
    service = services[name]
    if not build or build.get("dockerfile") != PROGRAM_DOCKERFILE or "entrypoint" in service:
        return None
    return build.get("target")


def instances(services, program):
    return {name: replicas(s) for name, s in services.items() if program_of(services, name) == program}


def replicas(service):
    return int((service.get("deploy") or {}).get("replicas", 1))


def depends_on(service):
    """depends_on in its long form: {name: condition}."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: rule.get("condition", "service_started") for name, rule in deps.items()}


def is_one_shot(service):
    return str(service.get("restart", "no")) == "no"


# --- Dockerfiles ------------------------------------------------------------------------

class Stage:
    def __init__(self, name, base):
        self.name, self.base = name, base
        self.instructions = []  # (KEYWORD, arguments)

    def all(self, keyword):
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword):
        found = self.all(keyword)
        return found[-1] if found else None


def dockerfile_stages(path):
    """The stages of a Dockerfile in order, each with its instructions (continuation lines
    joined, comments dropped)."""
    stages, logical = [], []
    pending = ""
    for line in read_text(path).splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    for instruction in logical:
        keyword, _, args = instruction.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, words[0]))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append((keyword, args))
    return stages


def stage_chain(stages, target):
    """The stage named target and the stages of the same file it is built FROM, nearest first."""
    by_name = {stage.name: stage for stage in stages}
    chain, stage = [], by_name[target]
    while stage is not None:
        chain.append(stage)
        stage = by_name.get(stage.base)
    return chain


def apt_packages(stage):
    """The package names a stage installs with apt-get install."""
    packages = []
    for command in stage.all("RUN"):
        for part in re.split(r"&&|;", command):
            words = shlex.split(part)
            if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
                packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def inherited(chain, keyword):
    """The nearest value of an instruction along a stage chain (USER, HEALTHCHECK, ...)."""
    for stage in chain:
        value = stage.last(keyword)
        if value is not None:
            return value
    return None
