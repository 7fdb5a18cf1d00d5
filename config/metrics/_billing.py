"""Billing's own figures, read from the database at each scrape.

Counted where the truth is kept rather than in the processes that change it: the
workers, beat and the gRPC server all move payments, and none of them is scraped.
Computed on scrape, the figures need nothing shared between gunicorn's workers.
Each is one cheap indexed query (the selectors say which index); a database that
does not answer makes `billing_database_up` 0 and leaves the figures out, and the
rest of the page is served as usual.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from billing.clock import billing_now
from config.metrics._families import (
    DISCREPANCY_KINDS,
    RENEWAL_OUTCOMES,
    WEBHOOK_STATUSES,
    BillingFamilies,
    age_seconds,
    status_families,
)
from config.metrics._outbox import collect_outbox
from payments.models import PaymentKind
from payments.selectors import (
    UNPROCESSED_EVENT_STATUSES,
    gateway_event_counts_since,
    open_discrepancy_counts,
    payment_counts_since,
    unknown_payments,
    unprocessed_gateway_events,
)
from subscriptions.selectors import past_due_counts, renewal_backlog_by_gateway

logger = logging.getLogger(__name__)


class BillingCollector(Collector):
    """The `billing_*` figures of payments, renewals, webhooks, reconciliation and
    the events outbox (docs/operations.md#billings-own-metrics)."""

    def __init__(self, *, clock: Callable[[], dt.datetime] = billing_now) -> None:
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        return iter((*status_families(), *BillingFamilies().all()))

    def collect(self) -> Iterator[Metric]:
        up, took = status_families()
        started = time.perf_counter()
        families = BillingFamilies()
        try:
            _collect(families, now=self._clock())
        except DatabaseError:
            logger.warning("Unable to read billing's figures", exc_info=True)
            up.add_metric([], 0)
            return iter((up,))
        up.add_metric([], 1)
        took.add_metric([], time.perf_counter() - started)
        return iter((up, took, *families.all()))


def _collect(families: BillingFamilies, *, now: dt.datetime) -> None:
    gateways = sorted(settings.PAYMENT_GATEWAYS)
    start_of_day = now.astimezone(dt.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    _collect_unknown_payments(families, gateways, now=now)
    _collect_renewal_charges(families, gateways, start_of_day=start_of_day)
    _collect_renewal_backlog(families, gateways, now=now)
    _collect_webhooks(families, gateways, now=now, start_of_day=start_of_day)
    _collect_discrepancies(families, gateways)
    collect_outbox(families, now=now)


def _collect_unknown_payments(
    families: BillingFamilies, gateways: list[str], *, now: dt.datetime
) -> None:
    unknown = unknown_payments()
    for gateway in _with(gateways, unknown.by_gateway):
        families.payments_unknown.add_metric(
            [gateway], unknown.by_gateway.get(gateway, 0)
        )
    families.payments_unknown_oldest_age.add_metric(
        [], age_seconds(unknown.oldest_since, now)
    )


def _collect_renewal_charges(
    families: BillingFamilies, gateways: list[str], *, start_of_day: dt.datetime
) -> None:
    charges = payment_counts_since(
        kind=PaymentKind.RECURRING, since=start_of_day, gateways=gateways
    )
    outcomes = {
        (gateway, outcome): 0
        for gateway in gateways
        for outcome in RENEWAL_OUTCOMES.values()
    }
    for (gateway, status), count in charges.items():
        outcomes[gateway, RENEWAL_OUTCOMES[status]] += count
    for (gateway, outcome), count in sorted(outcomes.items()):
        families.renewal_charges_today.add_metric([gateway, outcome], count)


def _collect_renewal_backlog(
    families: BillingFamilies, gateways: list[str], *, now: dt.datetime
) -> None:
    backlog = renewal_backlog_by_gateway(now=now, gateways=gateways)
    for gateway in gateways:
        waiting = backlog.get(gateway)
        families.renewal_backlog.add_metric([gateway], waiting.count if waiting else 0)
        families.renewal_backlog_oldest_age.add_metric(
            [gateway], age_seconds(waiting.oldest_due_at if waiting else None, now)
        )
    past_due = past_due_counts()
    for gateway in _with(gateways, past_due):
        families.subscriptions_past_due.add_metric([gateway], past_due.get(gateway, 0))


def _collect_webhooks(
    families: BillingFamilies,
    gateways: list[str],
    *,
    now: dt.datetime,
    start_of_day: dt.datetime,
) -> None:
    today = gateway_event_counts_since(since=start_of_day)
    for gateway in _with(gateways, (gateway for gateway, _ in today)):
        for status in WEBHOOK_STATUSES:
            families.webhook_events_today.add_metric(
                [gateway, status], today.get((gateway, status), 0)
            )
    unprocessed = unprocessed_gateway_events()
    counts = unprocessed.by_gateway_and_status
    for gateway in _with(gateways, (gateway for gateway, _ in counts)):
        for status in UNPROCESSED_EVENT_STATUSES:
            families.webhook_events_unprocessed.add_metric(
                [gateway, status], counts.get((gateway, status), 0)
            )
    families.webhook_events_unprocessed_oldest_age.add_metric(
        [], age_seconds(unprocessed.oldest_received_at, now)
    )


def _collect_discrepancies(families: BillingFamilies, gateways: list[str]) -> None:
    discrepancies = open_discrepancy_counts()
    for gateway in _with(gateways, (gateway for gateway, _ in discrepancies)):
        for kind in DISCREPANCY_KINDS:
            families.discrepancies_open.add_metric(
                [gateway, kind], discrepancies.get((gateway, kind), 0)
            )


def _with(gateways: list[str], found: Iterable[str]) -> list[str]:
    """The configured gateways, and any other the rows name (zeros for the
    configured ones, so that an alert's series exists before anything happens)."""
    return sorted({*gateways, *found})
