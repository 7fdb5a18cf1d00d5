"""`make run`'s supervisor: everything starts, answers, and stops on Ctrl-C."""

from __future__ import annotations

import functools
import itertools
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import requests
from grpc_health.v1 import health_pb2

from config.management.commands.devstack import Command
from kit.tokens import PrincipalKind, verify_access_token
from tests.config.readme_examples import frontend_example
from tests.grpc_api.probes import health_status
from tests.polling import wait_until
from tests.ports import free_port
from tests.process_trees import alive, descendants

ROOT = Path(__file__).resolve().parents[2]
# What the worker says once it consumes, and what beat says as it starts.
STARTED = ("ready.", "beat: Starting")
# An address the banner prints, up to a space or a closing parenthesis.
PRINTED_URL = re.compile(r"http://127\.0\.0\.1:\d+/[^\s)]*")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


def _banner(output: str) -> str:
    """The lines of the banner: indented, after "Everything is up:"."""
    _, _, after = output.partition("Everything is up:")
    lines = after.splitlines()[1:]
    return "\n".join(itertools.takewhile(lambda line: line.startswith("  "), lines))


class TestDevstack:
    def test_serves_admin_api_grpc_and_sandbox_then_stops_every_child_on_ctrl_c(
        self, tmp_path: Path
    ) -> None:
        web_port, sandbox_port, grpc_port = free_port(), free_port(), free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "",
            "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
            "SERVICE_URL": f"http://127.0.0.1:{web_port}",
        }
        # The embedded defaults: no broker, no Redis, whatever the caller's shell says.
        for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"):
            env.pop(name, None)
        log = tmp_path / "devstack.log"
        with log.open("wb") as output_file:
            stack = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "devstack",
                    "--web-port",
                    str(web_port),
                    "--sandbox-port",
                    str(sandbox_port),
                    "--grpc-port",
                    str(grpc_port),
                ],
                cwd=ROOT,
                env=env,
                stdout=output_file,
                stderr=subprocess.STDOUT,
            )
        try:
            web = f"http://127.0.0.1:{web_port}"
            sandbox = f"http://127.0.0.1:{sandbox_port}"
            for url in (f"{web}/healthz", f"{sandbox}/__sandbox/health"):
                wait_until(
                    functools.partial(_answers, url),
                    timeout=90,
                    interval=0.3,
                    message=f"{url} does not answer (the stack's output: {log})",
                )
            admin_login = requests.get(f"{web}/admin/login/", timeout=5)
            api = requests.get(f"{web}/api/", timeout=5)
            card_page = requests.get(f"{sandbox}/__sandbox/checkout", timeout=5)
            with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=60)
                grpc_health = health_status(channel)
            # Worker and beat have started when they say so (the worker once it
            # consumes); a child that fails at start has exited by then.
            wait_until(
                lambda: all(word in log.read_text() for word in STARTED),
                timeout=60,
                interval=0.1,
                message=f"worker and beat did not start (the stack's output: {log})",
            )
            # The demo payers' first payments earn receipts: the worker asks the
            # stack's AuthService with the token devstack issued, and prints them.
            wait_until(
                lambda: "Subject: Receipt:" in log.read_text(),
                timeout=90,
                interval=0.2,
                message=f"no receipt was printed (the stack's output: {log})",
            )
            # README's frontend example, as a new user would run it.
            example = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    frontend_example(
                        web=web, sandbox=sandbox, grpc=f"127.0.0.1:{grpc_port}"
                    ),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            # Every address the banner names leads somewhere (sign-in pages may
            # refuse an anonymous caller, but nothing is missing).
            missing = [
                url
                for url in sorted(set(PRINTED_URL.findall(_banner(log.read_text()))))
                if requests.get(url, timeout=10).status_code == 404
            ]
            children = descendants(stack.pid)
            alive_before_stop = [pid for pid in children if alive(pid)]

            stack.send_signal(signal.SIGINT)
            stack.wait(timeout=60)
        finally:
            if stack.poll() is None:
                stack.kill()
        output = log.read_text()

        assert admin_login.status_code == 200 and "Log in" in admin_login.text
        assert api.status_code == 403 and api.json()["code"] == "not_authenticated"
        assert card_page.status_code == 200 and "<form" in card_page.text
        assert grpc_health == health_pb2.HealthCheckResponse.SERVING
        assert example.stdout.split() == [
            "SUBSCRIPTION_STATUS_ACTIVE",
            "SUBSCRIPTION_STATUS_CANCELED",
        ], example.stderr
        assert missing == []
        assert len(children) >= 5
        assert set(alive_before_stop) == children
        assert "exited; stopping the rest" not in output, output
        assert stack.returncode == 0, output
        assert "support-demo-2026" in output
        assert f"{web}/admin/" in output
        assert f"gRPC:             127.0.0.1:{grpc_port}" in output
        assert "Demo subscriptions" in output
        assert "cinema-monthly  •••• 3055  ACTIVE" in output, output
        assert "billing_clock advance 31d" in output
        assert [pid for pid in children if alive(pid)] == []


class TestChildEnvironment:
    def test_gives_the_worker_a_token_for_the_stacks_own_auth_service(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Receipts and reminders find the payer's address with no setup."""
        monkeypatch.delenv("AUTH_GRPC_TOKEN", raising=False)
        monkeypatch.delenv("AUTH_GRPC_TARGET", raising=False)

        environment = Command()._child_environment("127.0.0.1:50999")

        principal = verify_access_token(environment["AUTH_GRPC_TOKEN"])
        assert principal.kind is PrincipalKind.SERVICE
        assert principal.scopes == {"auth.users.read"}
        assert environment["AUTH_GRPC_TARGET"] == "127.0.0.1:50999"

    def test_gives_the_shop_a_token_for_billing_with_only_its_scopes(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The shop holds, captures and voids payments and follows the events."""
        monkeypatch.delenv("SHOP_BILLING_TOKEN", raising=False)
        monkeypatch.delenv("SHOP_BILLING_GRPC_TARGET", raising=False)

        environment = Command()._child_environment("127.0.0.1:50999")

        principal = verify_access_token(environment["SHOP_BILLING_TOKEN"])
        assert principal.kind is PrincipalKind.SERVICE
        assert principal.scopes == {"billing.payments.write", "billing.events.read"}
        assert environment["SHOP_BILLING_GRPC_TARGET"] == "127.0.0.1:50999"

    def test_keeps_a_token_and_target_the_developer_set(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AUTH_GRPC_TOKEN", "my-own-token")
        monkeypatch.setenv("AUTH_GRPC_TARGET", "auth.local:50051")
        monkeypatch.setenv("SHOP_BILLING_TOKEN", "shop-token")
        monkeypatch.setenv("SHOP_BILLING_GRPC_TARGET", "billing.local:50051")

        environment = Command()._child_environment("127.0.0.1:50999")

        assert environment["AUTH_GRPC_TOKEN"] == "my-own-token"
        assert environment["AUTH_GRPC_TARGET"] == "auth.local:50051"
        assert environment["SHOP_BILLING_TOKEN"] == "shop-token"
        assert environment["SHOP_BILLING_GRPC_TARGET"] == "billing.local:50051"
