"""`docker-compose.yml` as a whole: a valid Compose file, every service health-checked,
restarted and limited, exactly one beat, a worker for every queue, and state kept
where the service expects it.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import jsonschema  # type: ignore[import-untyped]
import pytest
from django.conf import settings

from tests.config.compose_file import (
    COMPOSE_FILE,
    ROOT,
    Service,
    built_here,
    compose,
    default_services,
    demo_services,
    is_one_off,
    long_running,
    services,
)

SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec" / "compose-spec.json"
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}
# What one process of the service (a gunicorn worker, a prefork child) takes at
# rest, rounded up: measured about 115-130 MB RSS.
PROCESS_MEMORY_MB = 128
MEDIA_ROOT_IN_IMAGE = "/app/var/media"


def _schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    # The schema says draft-07 (its `$schema` URL lacks the `#` that names it).
    validator = jsonschema.Draft7Validator(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    found = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    )
    return found.returncode == 0


class TestTheFile:
    def test_follows_the_compose_specification(self) -> None:
        """Validated against the Compose Specification's JSON schema (vendored in
        tests/fixtures/compose-spec/). Where the docker client has the Compose plugin
        (`docker compose version` succeeds), `docker compose config -q` must accept
        the file as well; no machine of this project has the plugin (only the
        docker client), so that branch cannot run here."""
        assert _schema_errors(compose()) == []
        if _docker_compose_available():
            checked = subprocess.run(
                ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
                capture_output=True,
                text=True,
                check=False,
            )
            assert checked.returncode == 0, checked.stderr

    def test_the_schema_refuses_a_misspelt_key(self) -> None:
        """The validation is not vacuous: a key Compose does not know is an error."""
        broken = copy.deepcopy(compose())
        broken["services"]["web"]["helthcheck"] = {"test": ["CMD", "true"]}

        assert any("helthcheck" in error for error in _schema_errors(broken))


def _health_test(service: Service) -> list[str]:
    test: list[str] = service.get("healthcheck", {}).get("test", [])
    return test


class TestHealthChecks:
    def test_every_long_running_service_has_one(self) -> None:
        unchecked = [
            name
            for name, service in long_running().items()
            if _health_test(service)[:1] not in (["CMD"], ["CMD-SHELL"])
            or service["healthcheck"].get("disable")
        ]

        assert unchecked == []

    def test_the_python_checks_compile(self) -> None:
        checks = {
            name: test[3]
            for name, service in services().items()
            if (test := _health_test(service))[:3] == ["CMD", "python", "-c"]
        }

        assert len(checks) >= 10
        for name, code in checks.items():
            compile(code, f"{name} health check", "exec")

    def test_each_celery_node_is_pinged_by_the_name_its_command_gives(self) -> None:
        """A worker's `-n <name>@%h`, beat's `celerybeat@%h`: the check pings that
        node on the container's host name, or it would never see the node answer."""
        nodes = {
            name: _node_name(service["command"])
            for name, service in services().items()
            if service.get("command", [])[:1] == ["celery"]
        }

        assert set(nodes) >= {"beat", "worker-payments", "demo-worker", "demo-beat"}
        for name, node in nodes.items():
            test = _health_test(services()[name])
            pinged = test[-1] if test[0] == "CMD" else _destination(test[1])
            assert pinged == node, name

    def test_beat_answers_pings_while_its_scheduler_ticks(self) -> None:
        beats = [s for s in services().values() if _celery_subcommand(s) == "beat"]

        assert beats
        for beat in beats:
            assert "--enable-remote-control" in beat["command"]


def _celery_subcommand(service: Service) -> str | None:
    command = service.get("command", [])
    return command[3] if command[:3] == ["celery", "-A", "config"] else None


def _node_name(command: list[str]) -> str:
    if command[3] == "beat":
        return "celerybeat"
    name = command[command.index("-n") + 1]
    assert name.endswith("@%h"), name
    return name.removesuffix("@%h")


def _destination(shell: str) -> str:
    match = re.search(r"-d (\S+)@\$\$HOSTNAME", shell)
    assert match, shell
    return match.group(1)


@contextmanager
def _listening() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def _run_consumer_check(port: int) -> int:
    code = _health_test(services()["consumer"])[3]
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"SHOP_BILLING_GRPC_TARGET": f"127.0.0.1:{port}"},
        check=False,
        timeout=30,
    ).returncode


class TestTheConsumersCheck:
    def test_is_healthy_while_connected_to_billing(self) -> None:
        with _listening() as server, socket.create_connection(server.getsockname()):
            port = server.getsockname()[1]

            assert _run_consumer_check(port) == 0

    def test_is_unhealthy_without_a_connection(self) -> None:
        """A port that only listens (billing up, the consumer not connected)."""
        with _listening() as server:
            port = server.getsockname()[1]

            assert _run_consumer_check(port) == 1


@pytest.mark.rabbitmq
class TestTheCeleryPing:
    """The workers' and beat's check, against a real worker on RabbitMQ."""

    def _ping(self, node: str) -> int:
        from tests.services import RABBITMQ_URL

        code = _health_test(services()["worker-payments"])[3]
        return subprocess.run(
            [sys.executable, "-c", code, node],
            env={"CELERY_BROKER_URL": RABBITMQ_URL, "PATH": ""},
            check=False,
            timeout=60,
        ).returncode

    def test_a_running_node_answers(self) -> None:
        from tests.config.celery_worker import running_worker

        with running_worker() as client:
            assert self._ping(client.conf.task_default_queue) == 0

    def test_a_node_that_is_not_running_does_not(self) -> None:
        assert self._ping("no-such-node") == 1


def _memory_mb(limit: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg])", limit.lower()).groups()  # type: ignore[union-attr]
    return float(number) * {"k": 1 / 1024, "m": 1, "g": 1024}[unit]


def _limits(service: Service) -> dict[str, Any]:
    found: dict[str, Any] = (
        service.get("deploy", {}).get("resources", {}).get("limits", {})
    )
    return found


def _option(command: list[str], name: str) -> int:
    return int(command[command.index(name) + 1])


class TestRestartsAndLimits:
    def test_every_long_running_service_restarts(self) -> None:
        unrestarted = [
            name
            for name, service in long_running().items()
            if service.get("restart") not in RESTART_POLICIES
        ]

        assert unrestarted == []

    def test_every_service_has_cpu_and_memory_limits(self) -> None:
        unlimited = [
            name
            for name, service in services().items()
            if not {"cpus", "memory"} <= set(_limits(service))
        ]

        assert unlimited == []

    def test_a_worker_has_room_for_each_of_its_processes(self) -> None:
        """A prefork worker runs `--concurrency` children beside its parent, and
        gunicorn `--workers` beside its arbiter: a limit below that kills them."""
        sized = {
            name: _option(service["command"], "--concurrency")
            for name, service in default_services().items()
            if _celery_subcommand(service) == "worker"
        } | {
            name: _option(service["command"], "--workers")
            for name, service in default_services().items()
            if service.get("command", [])[:1] == ["gunicorn"]
        }

        assert set(sized) >= {"web", "edge", "worker-renewals"}
        for name, processes in sized.items():
            memory = _memory_mb(_limits(services()[name])["memory"])
            assert memory >= (processes + 1) * PROCESS_MEMORY_MB, name


class TestBeat:
    def test_runs_exactly_once_in_each_stack(self) -> None:
        for stack, expected in ((default_services(), "beat"), (demo_services(), None)):
            beats = [n for n, s in stack.items() if _celery_subcommand(s) == "beat"]
            assert len(beats) == 1, beats
            assert stack[beats[0]]["deploy"]["replicas"] == 1
            assert expected in (None, beats[0])

    def test_no_worker_embeds_a_beat_of_its_own(self) -> None:
        embedding = [
            name
            for name, service in services().items()
            if _celery_subcommand(service) == "worker"
            and {"-B", "--beat"} & set(service["command"])
        ]

        assert embedding == []


def _routed_queues() -> set[str]:
    """Every queue a task can be sent to: the routes, the default queue and the beat
    schedule's options."""
    routes = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    options: list[dict[str, str]] = [
        cast(dict[str, str], entry.get("options") or {})
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    ]
    scheduled = {option["queue"] for option in options if "queue" in option}
    return routes | scheduled | {settings.CELERY_TASK_DEFAULT_QUEUE}


def _consumed_queues(stack: dict[str, Service]) -> set[str]:
    return {
        queue
        for service in stack.values()
        if _celery_subcommand(service) == "worker"
        for queue in service["command"][service["command"].index("-Q") + 1].split(",")
    }


class TestQueues:
    def test_every_queue_has_a_worker_in_each_stack(self) -> None:
        for stack in (default_services(), demo_services()):
            assert _routed_queues() - _consumed_queues(stack) == set()

    def test_production_has_a_worker_per_queue(self) -> None:
        """A flood on one queue never holds up another's tasks (`default` rides
        with `billing`, both quiet)."""
        workers = {
            tuple(s["command"][s["command"].index("-Q") + 1].split(","))
            for s in default_services().values()
            if _celery_subcommand(s) == "worker"
        }

        assert workers == {
            ("payments",),
            ("webhooks",),
            ("renewals",),
            ("billing", "default"),
        }


class TestState:
    def test_task_results_stay_in_the_database(self) -> None:
        """The shop's order pages and its lost-work sweep read django-celery-results'
        table: another result backend would leave them blind."""
        environments: dict[str, dict[str, str]] = {
            name: service.get("environment") or {}
            for name, service in services().items()
        }
        backends = {
            name: environment["CELERY_RESULT_BACKEND"]
            for name, environment in environments.items()
            if "CELERY_RESULT_BACKEND" in environment
        }

        assert set(backends.values()) <= {"django-db"}

    def test_web_and_workers_share_the_media_volume(self) -> None:
        """Pictures uploaded on web, invoices written by workers (MEDIA_ROOT)."""
        sharing = {
            name
            for name, service in default_services().items()
            if f"media:{MEDIA_ROOT_IN_IMAGE}" in service.get("volumes", [])
        }

        assert {"web", "worker-billing", "worker-payments"} <= sharing

    def test_the_servers_keep_their_data_in_named_volumes(self) -> None:
        for name, path in (
            ("postgres", "/var/lib/postgresql/data"),
            ("rabbitmq", "/var/lib/rabbitmq"),
            ("redis", "/data"),
        ):
            volume = f"{name}:{path}"
            assert volume in default_services()[name]["volumes"], name
            assert name in compose()["volumes"], name


class TestStartOrder:
    def test_the_service_waits_for_healthy_servers_and_the_migration(self) -> None:
        expected = {
            "postgres": {"condition": "service_healthy"},
            "rabbitmq": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        for name, service in default_services().items():
            if built_here(service) and not is_one_off(service):
                depends_on = service["depends_on"]
                assert {k: depends_on[k] for k in expected} == expected, name

    def test_the_migration_waits_for_a_healthy_database(self) -> None:
        migrate = default_services()["migrate"]

        assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert is_one_off(migrate)
