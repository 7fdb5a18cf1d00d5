"""Celery queue depths, asked of the broker when /metrics is scraped."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from celery import Celery
from django.test import Client
from kombu import Connection, Exchange, Queue
from prometheus_client import CollectorRegistry

from config.metrics._queues import QueueDepthCollector
from tests.services import RABBITMQ_URL

TIMEOUT = 1.0


def _registry(app: Celery, *queues: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector(app=app, queues=queues, timeout=TIMEOUT))
    return registry


def _app(broker: str) -> Celery:
    return Celery("test-metrics", broker=broker, set_as_current=False)


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """An address that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}//"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.rabbitmq
class TestQueueDepthsOnRabbitMQ:
    def test_counts_the_messages_waiting_in_each_queue(self) -> None:
        """A queue no one declared yet has nothing waiting and no consumer."""
        waiting, never_declared = (f"test-depth-{uuid.uuid4().hex[:8]}" for _ in "ab")
        queue = Queue(waiting, Exchange(waiting), routing_key=waiting, durable=False)
        with Connection(RABBITMQ_URL) as connection:
            producer = connection.Producer()
            for number in range(3):
                producer.publish(
                    {"n": number},
                    exchange=queue.exchange,
                    routing_key=waiting,
                    declare=[queue],
                )
            try:
                registry = _registry(_app(RABBITMQ_URL), waiting, never_declared)
                messages = {
                    name: registry.get_sample_value(
                        "billing_celery_queue_messages", {"queue": name}
                    )
                    for name in (waiting, never_declared)
                }
            finally:
                queue(connection.default_channel).delete()

        assert registry.get_sample_value("billing_celery_broker_up") == 1
        assert messages == {waiting: 3, never_declared: 0}
        assert (
            registry.get_sample_value(
                "billing_celery_queue_consumers", {"queue": waiting}
            )
            == 0
        )


class TestBrokerThatDoesNotAnswer:
    def test_a_refused_connection_reports_the_broker_down(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        registry = _registry(
            _app(f"amqp://guest:guest@127.0.0.1:{closed_port}//"), "default"
        )

        up = registry.get_sample_value("billing_celery_broker_up")

        assert up == 0
        assert (
            registry.get_sample_value(
                "billing_celery_queue_messages", {"queue": "default"}
            )
            is None
        )

    def test_a_silent_broker_costs_the_scrape_no_more_than_the_timeout(
        self, silent_broker: str
    ) -> None:
        """And a second scrape waits for the same question, not a new one."""
        collector = QueueDepthCollector(
            app=_app(silent_broker), queues=["default"], timeout=TIMEOUT
        )
        registry = CollectorRegistry()
        registry.register(collector)

        started = time.monotonic()
        first = registry.get_sample_value("billing_celery_broker_up")
        second = registry.get_sample_value("billing_celery_broker_up")
        elapsed = time.monotonic() - started

        assert (first, second) == (0, 0)
        assert elapsed < 2 * TIMEOUT + 1


@pytest.mark.django_db
class TestQueueDepthsOnTheWebsMetrics:
    def test_lists_every_celery_queue_of_the_settings(self, client: Client) -> None:
        """The file-system transport of the test settings answers too."""
        response = client.get("/metrics")

        text = response.content.decode()
        assert "billing_celery_broker_up 1.0" in text
        for queue in ("default", "payments", "billing", "webhooks", "renewals"):
            assert f'billing_celery_queue_messages{{queue="{queue}"}}' in text
