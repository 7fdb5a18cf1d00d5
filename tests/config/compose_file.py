"""`docker-compose.yml` and the `Dockerfile` as the tests read them, with no Docker
engine: the YAML with its anchors merged (as Compose merges them), the services of
each profile, their traefik labels, and the programs their commands run."""

from __future__ import annotations

import functools
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DEMO = "demo"
# What separates the simple commands of a `sh -c` script.
SHELL_SEPARATORS = {"&&", "||", ";", "{", "}", "&"}

Service = dict[str, Any]


@functools.cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def services() -> dict[str, Service]:
    found: dict[str, Service] = compose()["services"]
    return found


def default_services() -> dict[str, Service]:
    """The production stack: every service outside a profile."""
    return {n: s for n, s in services().items() if not s.get("profiles")}


def demo_services() -> dict[str, Service]:
    return {n: s for n, s in services().items() if DEMO in s.get("profiles", [])}


def built_here(service: Service) -> bool:
    return "build" in service


def is_one_off(service: Service) -> bool:
    """A task that runs to completion (`migrate`), never restarted."""
    return service.get("restart") == "no"


def long_running() -> dict[str, Service]:
    return {n: s for n, s in services().items() if not is_one_off(s)}


def labels(service: Service) -> dict[str, str]:
    """The service's `name=value` labels as a mapping."""
    pairs = (label.partition("=") for label in service.get("labels", []))
    return {name: value for name, _, value in pairs}


def traefik_labels() -> dict[str, str]:
    """Every traefik label of the default stack, names lower-cased (traefik reads
    them without regard to case)."""
    return {
        name.lower(): value
        for service in default_services().values()
        for name, value in labels(service).items()
        if name.startswith("traefik.")
    }


def compose_unescaped(text: str) -> str:
    """What Compose hands the container: `$$` is a literal `$`."""
    return text.replace("$$", "$")


def invocations(argv: list[str]) -> list[list[str]]:
    """The programs a command runs: the command itself, or each simple command of a
    `sh -c` script (without `exec`, which only replaces the shell)."""
    if argv[:2] != ["sh", "-c"]:
        return [argv]
    lexer = shlex.shlex(compose_unescaped(argv[2]), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[list[str]] = [[]]
    for word in lexer:
        if word in SHELL_SEPARATORS:
            found.append([])
        elif word != "exec" or found[-1]:
            found[-1].append(word)
    return [words for words in found if words]


def commands_of_services() -> dict[str, list[list[str]]]:
    """Every program each service built from this repository runs, by service."""
    return {
        name: invocations(service["command"])
        for name, service in services().items()
        if built_here(service) and "command" in service
    }


def dockerfile_commands() -> dict[str, list[str]]:
    """Each stage's `CMD [...]` of the Dockerfile, by stage name."""
    found: dict[str, list[str]] = {}
    stage = ""
    for line in DOCKERFILE.read_text().splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            stage = match.group(1)
        elif line.startswith("CMD "):
            found[stage] = json.loads(line.removeprefix("CMD "))
    return found


def stage_environment(stage: str) -> dict[str, str]:
    """The `ENV name=value` lines of one stage of the Dockerfile."""
    found: dict[str, str] = {}
    current = None
    for line in DOCKERFILE.read_text().splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            current = match.group(1)
        elif current == stage and line.startswith("ENV "):
            name, _, value = line.removeprefix("ENV ").partition("=")
            found[name] = value
    return found
