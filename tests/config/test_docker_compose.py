"""`docker-compose.yml`: production by default, the sandbox only in the `demo` profile,
apart from production, and Flower behind two passwords; the images name their
settings.

No Docker engine is needed: the file is read as YAML (with its anchors merged, as
Compose merges them) and the services are checked one by one.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

from gateway_sandbox.credentials import SANDBOX_CREDENTIALS
from tests.config.compose_file import (
    DEMO,
    ROOT,
    built_here,
    compose_unescaped,
    default_services,
    demo_services,
    labels,
    services,
    stage_environment,
)

# Whatever a service of the demo may not be given: production's connections and
# anything that could carry a real credential.
PRODUCTION_ONLY_VARIABLES = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    *SANDBOX_CREDENTIALS,
}


class TestTheSandbox:
    def test_runs_only_in_the_demo_profile(self) -> None:
        sandboxes = [
            name
            for name, service in services().items()
            if "gateway_sandbox" in " ".join(service.get("command", []))
        ]

        assert sandboxes == ["sandbox"]
        assert services()["sandbox"]["profiles"] == [DEMO]

    def test_reads_no_env_file_and_no_production_setting(self) -> None:
        sandbox = services()["sandbox"]

        assert "env_file" not in sandbox
        assert set(sandbox["environment"]) == {"DJANGO_SETTINGS_MODULE", "VAR_DIR"}
        assert sandbox["environment"]["DJANGO_SETTINGS_MODULE"] == (
            "config.settings.local"
        )

    def test_has_no_route_from_outside(self) -> None:
        """No traefik label and no published port: only the stack's network."""
        sandbox = services()["sandbox"]

        assert not any("traefik" in label for label in sandbox.get("labels", []))
        assert "ports" not in sandbox


class TestTheDemoProfile:
    def test_shares_nothing_with_production(self) -> None:
        production_volumes = {
            volume.split(":")[0]
            for service in default_services().values()
            for volume in service.get("volumes", [])
        }

        for name, service in demo_services().items():
            assert "env_file" not in service, name
            assert not PRODUCTION_ONLY_VARIABLES & set(service["environment"]), name
            assert not any("traefik" in label for label in service.get("labels", []))
            volumes = {volume.split(":")[0] for volume in service["volumes"]}
            assert not volumes & production_volumes, name
            assert not set(service.get("depends_on", [])) & set(default_services())

    def test_runs_the_service_on_local_settings_against_the_sandbox(self) -> None:
        """Production settings refuse plain-HTTP gateways; the demo's app services
        use local settings, with the sandbox's own credentials (the defaults)."""
        apps = {n: s for n, s in demo_services().items() if n != "sandbox"}

        assert sorted(apps) == ["demo-beat", "demo-web", "demo-worker"]
        for service in apps.values():
            environment = service["environment"]
            assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
            assert environment["SANDBOX_URL"] == "http://sandbox:8100"


class TestTheDefaultProfile:
    def test_is_production_only(self) -> None:
        default = default_services()
        built = {name: s for name, s in default.items() if built_here(s)}

        assert "sandbox" not in default
        assert sorted(built) == [
            "beat",
            "consumer",
            "edge",
            "flower",
            "grpc",
            "migrate",
            "web",
            "worker-billing",
            "worker-payments",
            "worker-renewals",
            "worker-webhooks",
        ]
        for name, service in built.items():
            assert service["build"]["target"] == "production", name
            environment = service["environment"]
            assert environment["DJANGO_SETTINGS_MODULE"] == (
                "config.settings.production"
            ), name
            assert "SANDBOX_URL" not in environment, name

    def test_serves_grpc_with_a_health_check_inside_the_network_only(self) -> None:
        """The gRPC server runs, says when it is healthy, and publishes no port."""
        grpc = default_services()["grpc"]

        assert grpc["command"][:3] == ["python", "manage.py", "grpc_server"]
        assert "grpc_health" in " ".join(grpc["healthcheck"]["test"])
        assert "ports" not in grpc
        assert grpc["expose"] == ["50051", "9101"]
        assert grpc["command"][-4:] == [
            *("--metrics-port", "9101", "--metrics-host", "0.0.0.0")  # noqa: S104 - inside its container
        ]

    def test_publishes_only_traefik(self) -> None:
        published = [n for n, s in default_services().items() if "ports" in s]

        assert published == ["traefik"]

    def test_serves_every_route_over_https_only(self) -> None:
        default = default_services()
        traefik = " ".join(default["traefik"]["command"])
        routers = {
            name.split(".")[3]
            for service in default.values()
            for name in labels(service)
            if name.startswith("traefik.http.routers.")
        }

        assert {"web", "webhooks", "grpc", "grpc-web", "flower"} <= routers
        for router in routers:
            service_labels = next(
                labels(s)
                for s in default.values()
                if f"traefik.http.routers.{router}.rule" in labels(s)
            )
            assert service_labels[f"traefik.http.routers.{router}.tls"] == "true"
            assert service_labels[f"traefik.http.routers.{router}.entrypoints"] == (
                "websecure"
            )
        assert "--entrypoints.web.http.redirections.entrypoint.scheme=https" in traefik

    def test_keeps_flowers_password_free_metrics_off_the_public_route(self) -> None:
        """Flower serves /metrics without asking for its password."""
        flower = labels(default_services()["flower"])

        assert flower["traefik.http.routers.flower.rule"] == (
            "Host(`flower.localhost`) && !Path(`/metrics`)"
        )


def _run_flower_command(
    tmp_path: Path, *, password: str, traefik_users: str = "ops:$2y$05$hash"
) -> subprocess.CompletedProcess[str]:
    """Flower's command from the file, with a stand-in `celery` on the PATH."""
    celery = tmp_path / "celery"
    celery.write_text('#!/bin/sh\necho "flower started with $FLOWER_BASIC_AUTH"\n')
    celery.chmod(celery.stat().st_mode | stat.S_IXUSR)
    argv = [compose_unescaped(part) for part in services()["flower"]["command"]]
    return subprocess.run(
        argv,
        env={
            "PATH": f"{tmp_path}:{os.environ['PATH']}",
            "FLOWER_BASIC_AUTH": password,
            "TRAEFIK_FLOWER_USERS": traefik_users,
        },
        capture_output=True,
        text=True,
        timeout=30,
    )


class TestFlower:
    def test_takes_its_passwords_from_the_environment(self) -> None:
        environment = services()["flower"]["environment"]

        for name in ("FLOWER_BASIC_AUTH", "TRAEFIK_FLOWER_USERS"):
            assert re.fullmatch(rf"\$\{{{name}(:-)?\}}", environment[name]), name

    def test_is_behind_traefiks_basic_auth_with_the_same_users(self) -> None:
        flower = labels(services()["flower"])
        middleware = flower["traefik.http.routers.flower.middlewares"]

        users = flower[f"traefik.http.middlewares.{middleware}.basicauth.users"]
        assert users == services()["flower"]["environment"]["TRAEFIK_FLOWER_USERS"]

    def test_refuses_to_start_without_its_own_password(self, tmp_path: Path) -> None:
        result = _run_flower_command(tmp_path, password="")

        assert result.returncode == 1
        assert "set FLOWER_BASIC_AUTH" in result.stderr
        assert "flower started" not in result.stdout

    def test_refuses_to_start_without_traefiks_users(self, tmp_path: Path) -> None:
        """Traefik's users left out is a mistake in the deployment: Flower refuses to
        start rather than be served behind one password only."""
        result = _run_flower_command(
            tmp_path, password="ops:a-long-password", traefik_users=""
        )

        assert result.returncode == 1
        assert "set TRAEFIK_FLOWER_USERS" in result.stderr
        assert "flower started" not in result.stdout

    def test_starts_with_basic_auth(self, tmp_path: Path) -> None:
        result = _run_flower_command(tmp_path, password="ops:a-long-password")

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "flower started with ops:a-long-password"


class TestTheImages:
    def test_leave_out_the_checkouts_git(self) -> None:
        """So the entry points never take an image for a development checkout."""
        ignored = (ROOT / ".dockerignore").read_text().split()

        assert ".git" in ignored

    def test_name_their_settings(self) -> None:
        assert stage_environment("production")["DJANGO_SETTINGS_MODULE"] == (
            "config.settings.production"
        )
        assert stage_environment("sandbox")["DJANGO_SETTINGS_MODULE"] == (
            "config.settings.local"
        )
