"""A RabbitMQ vhost of a test's own on the local broker, made with rabbitmqctl, so
that the queues of the processes it starts are never anyone else's."""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.services import services_required


@contextmanager
def private_vhost(broker_url: str, *, prefix: str) -> Iterator[str]:
    """`broker_url` on a fresh vhost `<prefix>-<random>`, deleted (its queues with
    it) afterwards. Skips the test, or fails it under REQUIRE_SERVICES=1, when the
    broker is not this machine's or rabbitmqctl cannot make a vhost there."""
    parts = urllib.parse.urlsplit(broker_url)
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _add_vhost_or_give_up(parts.hostname, vhost)
    try:
        user = parts.username or "guest"
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urllib.parse.urlunsplit(
            parts._replace(path="/" + urllib.parse.quote(vhost, safe=""))
        )
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def _add_vhost_or_give_up(host: str | None, vhost: str) -> None:
    problem = None
    if host not in ("127.0.0.1", "localhost", "::1"):
        problem = (
            f"makes a RabbitMQ vhost, which it can do only on this machine: {host}"
        )
    elif shutil.which("rabbitmqctl") is None:
        problem = "makes a RabbitMQ vhost with rabbitmqctl, which is not on PATH"
    else:
        try:
            _rabbitmqctl("add_vhost", vhost)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            problem = f"makes a RabbitMQ vhost with rabbitmqctl, which failed: {exc}"
    if problem is None:
        return
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1, but this test {problem}", pytrace=False)
    pytest.skip(problem)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)
