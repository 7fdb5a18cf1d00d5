"""`python manage.py devstack`: the whole service in one terminal (`make run`).

Runs the web server, the gRPC server, the gateway sandbox, a Celery worker and Celery
beat as child processes with prefixed output, and on Ctrl-C (or SIGTERM) stops every
one of them. Once the web server and the sandbox answer, it subscribes the demo
payers through the sandbox (`load_demo_subscriptions`) and prints what is where.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.clock import billing_now
from config import env as config_env
from config.stack_clients import STACK_CLIENTS, missing_client_tokens

logger = logging.getLogger(__name__)

# A Celery worker's warm shutdown lets running tasks finish; it can take seconds.
STOP_GRACE_SECONDS = 20
# How often the stack asks the web and the sandbox whether they answer yet.
READINESS_INTERVAL_SECONDS = 0.5
# Where the in-memory Redis listens when the machine runs none (`local_redis`).
LOCAL_REDIS_PORT = 6390


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]


def _clock_notice() -> list[str]:
    """A line when an earlier run left the test clock ahead (it lives in the cache)."""
    ahead = round((billing_now() - dt.datetime.now(dt.UTC)).total_seconds())
    if ahead <= 0:
        return []
    return [
        f"  The test clock is {dt.timedelta(seconds=ahead)} ahead of the wall clock "
        "(python manage.py billing_clock reset goes back)."
    ]


def _redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        with contextlib.closing(client):
            return bool(client.ping())
    except redis.RedisError:
        return False


def _needs_local_redis() -> bool:
    """Whether the shop's Redis is the unconfigured default and does not answer:
    then the stack starts an in-memory one (a configured one that does not answer
    is left to fail, so that a mistake shows)."""
    configured = config_env.SNACKS_REDIS_URL_GIVEN or config_env.REDIS_URL
    return not configured and not _redis_answers(settings.SNACKS_REDIS_URL)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


class Command(BaseCommand):
    help = (
        "Migrate, load demo data and run web, gRPC, sandbox, worker and beat together."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--web-port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8100)
        parser.add_argument("--grpc-port", type=int, default=settings.GRPC_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        # Checked before migrating: it would otherwise migrate a deployed database
        # and only then fail on the demo data.
        if not settings.BILLING_TEST_CLOCK_ENABLED:
            raise CommandError("devstack is for local settings only")
        settings.VAR_DIR.mkdir(exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        web = f"http://127.0.0.1:{options['web_port']}"
        call_command("load_demo_data", web_url=web, stdout=self.stdout)
        sandbox = f"http://127.0.0.1:{options['sandbox_port']}"
        grpc_address = f"127.0.0.1:{options['grpc_port']}"
        children = self._children(
            options["web_port"], options["sandbox_port"], grpc_address
        )
        child_environment = self._child_environment(grpc_address)
        if _needs_local_redis():
            children.insert(0, self._local_redis(child_environment))
        processes = {
            child.name: self._spawn(child, child_environment) for child in children
        }
        banner = "\n".join(
            [
                "",
                "  Everything is up:",
                f"  Admin:            {web}/admin/",
                f"  Browsable API:    {web}/api/",
                f"  API docs:         {web}/api/docs/",
                f"  Health:           {web}/healthz  {web}/readyz",
                f"  gRPC:             {grpc_address} (health, reflection)",
                f"  Snack shop:       {web}/shop/ (join, or sign in as a demo member)",
                f"  Snack shop API:   {web}/api/v1/shop/snacks/ (docs/shop.md)",
                "  Shop consumer:    applies billing's events to the shop's orders",
                "  Payers' e-mails:  printed by the worker (docs/notifications.md)",
                f"  Sandbox cards:    {sandbox}/__sandbox/checkout",
                f"  Sandbox ledger:   {sandbox}/__sandbox/ledger",
                "  Staff sign in with the demo credentials above.",
                "  Advance the clock: .venv/bin/python manage.py billing_clock "
                "advance 31d",
                f"    — then watch {web}/admin/subscriptions/subscription/",
                "  Prove the books:   .venv/bin/python manage.py check_ledger",
                *_clock_notice(),
                "  Press Ctrl-C to stop everything.",
                "",
            ]
        )
        readiness = [f"{web}/healthz", f"{sandbox}/__sandbox/health"]
        self._supervise(
            processes,
            readiness=readiness,
            on_ready=self._subscribe_demo_payers,
            banner=banner,
        )

    def _subscribe_demo_payers(self) -> None:
        """Demo subscriptions through the sandbox; the stack runs on without them."""
        try:
            call_command(
                "load_demo_subscriptions", stdout=self.stdout, stderr=self.stderr
            )
        except CommandError as exc:
            self.stderr.write(f"No demo subscriptions: {exc}")
        except Exception:
            logger.exception("Unable to subscribe the demo payers")
            self.stderr.write("No demo subscriptions (see above); the rest runs on.")

    def _children(
        self, web_port: int, sandbox_port: int, grpc_address: str
    ) -> list[Child]:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        celery = [python, "-m", "celery", "-A", "config"]
        return [
            Child(
                "web",
                [python, manage, "runserver", f"127.0.0.1:{web_port}", "--noreload"],
            ),
            Child(
                "grpc",
                [
                    python,
                    manage,
                    "grpc_server",
                    "--host",
                    grpc_address.rpartition(":")[0],
                    "--port",
                    grpc_address.rpartition(":")[2],
                ],
            ),
            Child(
                "sandbox",
                [
                    python,
                    manage,
                    "gateway_sandbox",
                    "--port",
                    str(sandbox_port),
                    # Saved cards survive a restart, as the database does.
                    "--state-file",
                    str(settings.VAR_DIR / "sandbox-state.json"),
                ],
            ),
            # The shop learns its orders' payments from billing's event stream.
            Child("consumer", [python, manage, "consume_billing_events"]),
            Child(
                "worker",
                [
                    *celery,
                    "worker",
                    "-Q",
                    "default,payments,billing,webhooks,renewals",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                ],
            ),
            Child(
                "beat",
                [
                    *celery,
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(settings.VAR_DIR / "celerybeat-schedule"),
                ],
            ),
        ]

    def _local_redis(self, child_environment: dict[str, str]) -> Child:
        """The in-memory Redis, and the other children pointed at it."""
        url = f"redis://127.0.0.1:{LOCAL_REDIS_PORT}/0"
        child_environment["SNACKS_REDIS_URL"] = url
        self.stdout.write(
            "No Redis answers on localhost: the shop counts reactions in an "
            f"in-memory one at {url}."
        )
        manage = str(settings.BASE_DIR / "manage.py")
        return Child(
            "redis",
            [sys.executable, manage, "local_redis", "--port", str(LOCAL_REDIS_PORT)],
        )

    def _child_environment(self, grpc_address: str) -> dict[str, str]:
        """This process's environment, with billing's worker pointed at the stack's
        own AuthService and the shop at billing: each with a token the stack issues
        itself (a day long, only the scopes it needs) unless AUTH_GRPC_TOKEN or
        SHOP_BILLING_TOKEN is set, and the gRPC server's address unless
        AUTH_GRPC_TARGET or SHOP_BILLING_GRPC_TARGET is."""
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for client in STACK_CLIENTS:
            environment.setdefault(client.target_variable, grpc_address)
        environment.update(
            missing_client_tokens(
                environment, stack="devstack", days=1, now=dt.datetime.now(dt.UTC)
            )
        )
        return environment

    def _spawn(
        self, child: Child, environment: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            child.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environment,
            # Own process group: the terminal's Ctrl-C reaches us, and we stop children.
            start_new_session=True,
        )

    def _supervise(
        self,
        processes: dict[str, subprocess.Popen[bytes]],
        *,
        readiness: list[str],
        on_ready: Callable[[], None],
        banner: str,
    ) -> None:
        """Relay output until Ctrl-C; once every readiness URL answers, call
        `on_ready` and show `banner`."""
        stopping = False
        announced = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        selector = selectors.DefaultSelector()
        for name, process in processes.items():
            assert process.stdout is not None
            os.set_blocking(process.stdout.fileno(), False)
            selector.register(process.stdout, selectors.EVENT_READ, name)
        width = max(len(name) for name in processes)
        next_check = time.monotonic()
        while not stopping:
            for key, _ in selector.select(timeout=0.5):
                self._relay(key.data, key.fileobj, width)  # type: ignore[arg-type]
            # Not at every line relayed: each check is a request the web logs.
            if not announced and time.monotonic() >= next_check:
                next_check = time.monotonic() + READINESS_INTERVAL_SECONDS
                if all(_answers(url) for url in readiness):
                    on_ready()
                    self.stdout.write(banner)
                    announced = True
            exited = [n for n, p in processes.items() if p.poll() is not None]
            if exited:
                self.stderr.write(f"{', '.join(exited)} exited; stopping the rest.")
                break
        self._stop_all(processes)

    def _relay(self, name: str, stream: IO[bytes], width: int) -> None:
        data = stream.read()
        if not data:
            return
        for line in data.decode(errors="replace").splitlines():
            self.stdout.write(f"{name:<{width}} | {line}")

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        self.stdout.write(f"Stopping {', '.join(processes)}…")
        for process in processes.values():
            if process.poll() is None:
                # Only the leader: a Celery worker stops its own pool in order.
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it.")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # Whatever the leader left behind in its group goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.stdout.write("All stopped.")
