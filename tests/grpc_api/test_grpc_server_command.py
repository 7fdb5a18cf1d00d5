"""`python manage.py grpc_server` in its own process: it answers, then stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from tests.grpc_api.probes import health_status

ROOT = Path(__file__).resolve().parents[2]
# Nothing listens on port 1: a database that never answers.
UNREACHABLE_DATABASE = "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health(port: int) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        return health_status(channel)


def _start(
    tmp_path: Path, database_url: str, *options: str
) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            *("manage.py", "grpc_server", "--host", "127.0.0.1", "--port", str(port)),
            *options,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


@pytest.fixture
def stopped_at_the_end() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


class TestGrpcServerCommand:
    def test_answers_health_then_exits_cleanly_on_sigterm(
        self, tmp_path: Path, stopped_at_the_end: list[subprocess.Popen[str]]
    ) -> None:
        """SERVING on its embedded database; SIGTERM drains and exits with 0."""
        process, port = _start(tmp_path, database_url="")
        stopped_at_the_end.append(process)

        status = _health(port)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

        assert status == health_pb2.HealthCheckResponse.SERVING
        assert process.returncode == 0
        assert f"gRPC server listening on 127.0.0.1:{port}" in output
        assert "gRPC server stopped" in output

    def test_says_not_serving_while_the_database_does_not_answer(
        self, tmp_path: Path, stopped_at_the_end: list[subprocess.Popen[str]]
    ) -> None:
        """The process is up but its database is not: health says NOT_SERVING."""
        process, port = _start(tmp_path, database_url=UNREACHABLE_DATABASE)
        stopped_at_the_end.append(process)

        status = _health(port)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)

        assert status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert process.returncode == 0

    def test_serves_its_metrics_on_the_metrics_port(
        self, tmp_path: Path, stopped_at_the_end: list[subprocess.Popen[str]]
    ) -> None:
        """The calls it served, by method and code, over plain HTTP on loopback."""
        metrics_port = _free_port()
        process, port = _start(tmp_path, "", "--metrics-port", str(metrics_port))
        stopped_at_the_end.append(process)

        _health(port)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{metrics_port}/metrics", timeout=10
        ) as reply:
            exposition = reply.read().decode()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

        assert (
            'grpc_server_handled_total{grpc_code="OK",grpc_method="Check",'
            'grpc_service="grpc.health.v1.Health",grpc_type="unary"} 1.0'
        ) in exposition
        assert f"Metrics on http://127.0.0.1:{metrics_port}/metrics" in output
        assert process.returncode == 0
