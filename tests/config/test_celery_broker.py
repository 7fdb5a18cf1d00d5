"""Celery through a real RabbitMQ broker to a real worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from celery import Celery

from tests.services import RABBITMQ_URL

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def rabbitmq_worker(tmp_path: object) -> Iterator[Celery]:
    """A `celery worker` of this project consuming a private queue on RabbitMQ."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": RABBITMQ_URL,
        "CELERY_RESULT_BACKEND": "rpc://",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env=env,
    )
    client = Celery("test-client", broker=RABBITMQ_URL, backend="rpc://")
    client.conf.task_default_queue = queue
    try:
        _wait_until_consuming(client, worker)
        yield client
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        client.close()


def _wait_until_consuming(client: Celery, worker: subprocess.Popen[bytes]) -> None:
    """Block until the worker answers a broadcast ping: then it consumes its queue."""
    deadline = time.monotonic() + 90
    while not client.control.ping(timeout=1.0):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not come up")


class TestCeleryOverRabbitMQ:
    def test_a_task_round_trips_through_the_broker_and_a_worker(
        self, rabbitmq_worker: Celery
    ) -> None:
        """The worker process runs the project's own task and the result comes back."""
        value = uuid.uuid4().hex

        result = rabbitmq_worker.send_task("billing.echo", kwargs={"value": value})

        assert result.get(timeout=60) == value
