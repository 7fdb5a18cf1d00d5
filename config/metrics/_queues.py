"""How many messages wait in each Celery queue, asked of the broker at each scrape.

A queue that grows while its workers are busy or gone is what tells an operator
to add workers before payments, webhooks or renewals fall behind. The broker is
asked through the Celery app's connection pool with a passive `queue_declare`
(which creates nothing), and never for longer than a short timeout: a broker that
does not answer makes `billing_celery_broker_up` 0 instead of failing, or holding
up, the scrape of everything else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent import futures
from typing import Any, NamedTuple, cast

from celery import Celery
from kombu import Connection
from kombu.connection import ConnectionPool
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class QueueDepth(NamedTuple):
    # Ready to be delivered: not yet taken by a worker (prefetched ones are not).
    messages: int
    consumers: int


class QueueDepthCollector(Collector):
    """`billing_celery_queue_messages` and `…_consumers` per queue, and whether the
    broker answered (`billing_celery_broker_up`).

    The question runs on a thread of its own and the scrape waits `timeout` for it.
    A question still unanswered when the next scrape comes is waited for again
    rather than asked anew, so a hung broker holds one thread, not one per scrape.
    """

    def __init__(self, *, app: Celery, queues: Sequence[str], timeout: float) -> None:
        self._app = app
        self._queues = tuple(queues)
        self._timeout = timeout
        self._asker = futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="metrics-broker"
        )
        self._question: futures.Future[dict[str, QueueDepth]] | None = None
        self._lock = threading.Lock()

    def describe(self) -> Iterator[Metric]:
        return iter(_families())

    def collect(self) -> Iterator[Metric]:
        up, messages, consumers = _families()
        depths = self._depths()
        up.add_metric([], 0 if depths is None else 1)
        for queue, depth in (depths or {}).items():
            messages.add_metric([queue], depth.messages)
            consumers.add_metric([queue], depth.consumers)
        return iter((up, messages, consumers))

    def _depths(self) -> dict[str, QueueDepth] | None:
        with self._lock:
            if self._question is None or self._question.done():
                self._question = self._asker.submit(self._ask_broker)
            question = self._question
        try:
            return question.result(timeout=self._timeout)
        except futures.TimeoutError:
            logger.warning("The broker did not tell the queue depths in time")
        except Exception:
            logger.warning("Unable to read the queue depths", exc_info=True)
        return None

    def _ask_broker(self) -> dict[str, QueueDepth]:
        # A pool of connections (celery-types says a pool of producers).
        pool = cast(ConnectionPool, self._app.pool)
        with pool.acquire(block=True, timeout=self._timeout) as connection:
            # One attempt: the next scrape is the retry.
            connection.ensure_connection(max_retries=0)
            return {queue: _depth(connection, queue) for queue in self._queues}


def _depth(connection: Connection, queue: str) -> QueueDepth:
    try:
        with connection.channel() as channel:
            # The transport's own channel (kombu's stubs know only the base class).
            transport_channel: Any = channel
            declared = transport_channel.queue_declare(queue=queue, passive=True)
    except connection.channel_errors:
        # Never declared: no worker ever consumed it and nothing was sent to it.
        return QueueDepth(messages=0, consumers=0)
    return QueueDepth(declared.message_count, declared.consumer_count)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "billing_celery_broker_up",
            "1 when the broker told the queue depths at this scrape, else 0.",
        ),
        GaugeMetricFamily(
            "billing_celery_queue_messages",
            "Messages ready in the Celery queue, not yet taken by a worker.",
            labels=["queue"],
        ),
        GaugeMetricFamily(
            "billing_celery_queue_consumers",
            "Consumers of the Celery queue (a worker process each).",
            labels=["queue"],
        ),
    )
