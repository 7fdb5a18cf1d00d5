"""Celery task events, which Flower turns into task runtimes and failures by task."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from kombu import Connection, Exchange, Queue

from config.celery import app
from tests.config.celery_worker import running_worker
from tests.services import RABBITMQ_URL

# Where Celery publishes its events: a topic exchange, routing keys `task.<state>`.
EVENTS = Exchange("celeryev", type="topic")


class TestTaskEventSettings:
    def test_workers_send_task_events_and_publishers_a_sent_event(self) -> None:
        assert app.conf.worker_send_task_events is True
        assert app.conf.task_send_sent_event is True


@pytest.fixture
def rabbitmq_worker() -> Iterator[Celery]:
    with running_worker() as client:
        yield client


def _task_events(
    connection: Connection, queue: Queue, task_id: str, until: str
) -> list[dict[str, Any]]:
    """The events about `task_id` that reached `queue`, up to the `until` one."""
    bound = queue(connection.default_channel)
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = bound.get(no_ack=True)
        if message is None:
            time.sleep(0.05)
            continue
        body = message.decode()
        # A worker with an event loop sends its task events in batches (a list).
        for event in body if isinstance(body, list) else [body]:
            if event.get("uuid") == task_id:
                found.append(event)
                if event["type"] == until:
                    return found
    raise AssertionError(f"no {until} event for {task_id}: {found}")


@pytest.mark.rabbitmq
class TestTaskEventsOverRabbitMQ:
    def test_a_worker_reports_a_task_from_receipt_to_success_with_its_runtime(
        self, rabbitmq_worker: Celery
    ) -> None:
        """What Flower's `flower_task_runtime_seconds` and events count are made of."""
        queue = Queue(
            f"test-events-{uuid.uuid4().hex[:8]}",
            EVENTS,
            routing_key="task.#",
            auto_delete=True,
            durable=False,
        )
        with Connection(RABBITMQ_URL) as connection:
            queue(connection.default_channel).declare()
            result = rabbitmq_worker.send_task("billing.echo", kwargs={"value": "x"})
            result.get(timeout=60)

            events = _task_events(connection, queue, result.id, "task-succeeded")
            queue(connection.default_channel).delete()

        types = [event["type"] for event in events]
        assert types[:2] == ["task-received", "task-started"]
        assert events[-1]["runtime"] > 0
        assert events[0]["name"] == "billing.echo"
