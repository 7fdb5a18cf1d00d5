"""The service's own server processes (gunicorn, the gRPC server) for a test."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import requests

from tests.polling import wait_until
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
# How long a server may take to start on a loaded machine.
START_SECONDS = 120


@contextlib.contextmanager
def running(
    arguments: Sequence[str], *, env: Mapping[str, str], output: IO[bytes]
) -> Iterator[subprocess.Popen[bytes]]:
    """`python <arguments>` in the project's folder until the block ends."""
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=dict(env),
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def web_server(
    *,
    env: Mapping[str, str],
    output: IO[bytes],
    application: str = "config.wsgi",
    worker_class: str = "sync",
) -> Iterator[str]:
    """gunicorn serving `application` as the Docker image does; its base URL.

    An ASGI application takes `worker_class="uvicorn_worker.UvicornWorker"`.
    """
    port = free_port()
    arguments = (
        *("-m", "gunicorn", application, "--bind", f"127.0.0.1:{port}"),
        *("--worker-class", worker_class),
    )
    url = f"http://127.0.0.1:{port}"
    with running(arguments, env=env, output=output) as process:
        _wait_for_start(process, output, lambda: _answers(f"{url}/healthz"))
        yield url


@contextlib.contextmanager
def grpc_server(*, env: Mapping[str, str], output: IO[bytes]) -> Iterator[str]:
    """`manage.py grpc_server` on a free port; its target."""
    port = free_port()
    arguments = ("manage.py", "grpc_server", "--host", "127.0.0.1", "--port", str(port))
    with running(arguments, env=env, output=output) as process:
        _wait_for_start(
            process, output, lambda: b"gRPC server listening" in _written(output)
        )
        yield f"127.0.0.1:{port}"


def _wait_for_start(
    process: subprocess.Popen[bytes], output: IO[bytes], started: Callable[[], bool]
) -> None:
    """Until `started()`; fails with the process's output if it exits first."""
    wait_until(
        lambda: started() or process.poll() is not None,
        timeout=START_SECONDS,
        interval=0.1,
        message=f"{process.args!r} did not start",
    )
    if process.poll() is not None:
        raise AssertionError(f"{process.args!r} exited:\n{_written(output).decode()}")


def json_lines(output: IO[bytes]) -> list[dict[str, Any]]:
    """The JSON lines a process wrote so far (LOG_FORMAT=json), parsed."""
    lines = _written(output).decode("utf-8", errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _written(output: IO[bytes]) -> bytes:
    output.seek(0)
    return output.read()


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True
