"""A real `celery worker` process of this project on RabbitMQ, for the tests that
need one: started on a private queue, ready once it answers a ping."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

from celery import Celery
from django.db import connection

from tests.services import RABBITMQ_URL

WORKER_ARGUMENTS = (
    "-A",
    "config",
    "worker",
    "--pool",
    "solo",
    "--without-heartbeat",
    "--without-gossip",
    "--without-mingle",
    "--loglevel",
    "WARNING",
)


@contextlib.contextmanager
def running_worker(
    *,
    env: Mapping[str, str] | None = None,
    launcher: Sequence[str] = ("-m", "celery"),
    output: IO[bytes] | None = None,
    queue: str | None = None,
) -> Iterator[Celery]:
    """A worker consuming a private queue, and a client app that sends to it.

    `launcher` is what follows the interpreter (`-m celery` by default); `output`
    receives the worker's stdout and stderr; `queue` names the private queue (a
    new name by default), for other processes of the test to send to.
    """
    queue = queue or private_queue()
    worker = subprocess.Popen(
        # A node name of its own: two workers named alike on one broker (two test
        # runs at once) fight over the node's control queue and one dies.
        [
            sys.executable,
            *launcher,
            *WORKER_ARGUMENTS,
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_BROKER_URL": RABBITMQ_URL,
            "CELERY_RESULT_BACKEND": "rpc://",
            **(env or {}),
        },
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )
    # Not the current app: the project's tasks (`shared_task`) would then resolve
    # to this one, which knows none of them, in every later test of the process.
    client = Celery(
        "test-client", broker=RABBITMQ_URL, backend="rpc://", set_as_current=False
    )
    client.conf.task_default_queue = queue
    try:
        _wait_until_consuming(client, worker)
        yield client
    finally:
        worker.terminate()
        # An idle worker notices the signal when its event loop next wakes, up to
        # ten seconds later: a broadcast to its control queue wakes it at once.
        client.control.ping(timeout=0.1)
        worker.wait(timeout=20)
        client.close()


def private_queue() -> str:
    """A queue name no other test run, and no other worker on the broker, uses."""
    return f"test-{uuid.uuid4().hex[:8]}"


def database_url() -> str:
    """The test database, as a URL for another process (a worker)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith(".sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"{postgres_server_url()}/{db['NAME']}"


def postgres_server_url() -> str:
    """The suite's PostgreSQL server as a URL without a database name, its user
    and password quoted."""
    db = connection.settings_dict
    credentials = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def _wait_until_consuming(client: Celery, worker: subprocess.Popen[bytes]) -> None:
    """Block until the worker answers a broadcast ping: then it consumes its queue."""
    deadline = time.monotonic() + 90
    while not client.control.ping(timeout=1.0):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not come up")
