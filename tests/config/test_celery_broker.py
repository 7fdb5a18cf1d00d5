"""Celery through a real RabbitMQ broker to a real worker process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from celery import Celery

from tests.config.celery_worker import running_worker

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def rabbitmq_worker() -> Iterator[Celery]:
    """A `celery worker` of this project consuming a private queue on RabbitMQ."""
    with running_worker() as client:
        yield client


class TestCeleryOverRabbitMQ:
    def test_a_task_round_trips_through_the_broker_and_a_worker(
        self, rabbitmq_worker: Celery
    ) -> None:
        """The worker process runs the project's own task and the result comes back."""
        value = uuid.uuid4().hex

        result = rabbitmq_worker.send_task("billing.echo", kwargs={"value": value})

        assert result.get(timeout=60) == value
