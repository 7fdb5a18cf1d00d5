"""The metric families of billing's figures: names, help texts and labels.

Names follow Prometheus's conventions: the `billing_` prefix, the unit last
(`_seconds`), counts of things unitless. Every family is a gauge: each figure is
read afresh at every scrape, and today's counts start again at midnight (UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from prometheus_client.metrics_core import GaugeMetricFamily

from payments.models import DiscrepancyKind, GatewayEventStatus, PaymentStatus

# What became of a renewal charge, by its payment's status.
RENEWAL_OUTCOMES: Final[dict[str, str]] = {
    PaymentStatus.SUCCEEDED: "charged",
    PaymentStatus.FAILED: "declined",
    PaymentStatus.UNKNOWN: "unknown",
    PaymentStatus.CANCELED: "canceled",
    PaymentStatus.PENDING: "pending",
    PaymentStatus.REQUIRES_ACTION: "pending",
    PaymentStatus.AUTHORIZED: "pending",
}
WEBHOOK_STATUSES: Final = tuple(GatewayEventStatus.values)
DISCREPANCY_KINDS: Final = tuple(DiscrepancyKind.values)


def _gauge(name: str, documentation: str, *labels: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def status_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    """Whether the figures could be read at this scrape, and how long that took."""
    return (
        _gauge(
            "billing_database_up",
            "1 when billing's figures were read from the database at this scrape.",
        ),
        _gauge(
            "billing_metrics_collect_seconds",
            "Time taken to read billing's figures from the database at this scrape.",
        ),
    )


class BillingFamilies:
    """The families of one scrape's figures, filled by the collectors."""

    def __init__(self) -> None:
        self.payments_unknown = _gauge(
            "billing_payments_unknown",
            "Payments whose outcome is unknown (UNKNOWN), waiting for the janitor.",
            "gateway",
        )
        self.payments_unknown_oldest_age = _gauge(
            "billing_payments_unknown_oldest_age_seconds",
            "How long the payment longest in UNKNOWN has been so; 0 when none is.",
        )
        self.renewal_charges_today = _gauge(
            "billing_renewal_charges_today",
            "Renewal charges (recurring payments) created since 00:00 UTC, by outcome.",
            "gateway",
            "outcome",
        )
        self.renewal_backlog = _gauge(
            "billing_renewal_backlog",
            "Subscriptions due that no renewal run has claimed yet.",
            "gateway",
        )
        self.renewal_backlog_oldest_age = _gauge(
            "billing_renewal_backlog_oldest_age_seconds",
            "How long the subscription longest due has waited for a run; 0 when none.",
            "gateway",
        )
        self.subscriptions_past_due = _gauge(
            "billing_subscriptions_past_due",
            "Subscriptions in dunning (PAST_DUE).",
            "gateway",
        )
        self.webhook_events_today = _gauge(
            "billing_webhook_events_today",
            "Gateway events received since 00:00 UTC, by processing status.",
            "gateway",
            "status",
        )
        self.webhook_events_unprocessed = _gauge(
            "billing_webhook_events_unprocessed",
            "Gateway events received or failed and not applied yet.",
            "gateway",
            "status",
        )
        self.webhook_events_unprocessed_oldest_age = _gauge(
            "billing_webhook_events_unprocessed_oldest_age_seconds",
            "How long ago the oldest unapplied gateway event arrived; 0 when none.",
        )
        self.discrepancies_open = _gauge(
            "billing_reconciliation_discrepancies_open",
            "Discrepancies found by reconciliation that no one has resolved yet.",
            "gateway",
            "kind",
        )
        self.outbox_latest_cursor = _gauge(
            "billing_outbox_latest_cursor",
            "The cursor of the newest event in billing's events outbox.",
        )
        self.outbox_consumer_cursor = _gauge(
            "billing_outbox_consumer_cursor",
            "The cursor of the last event a consumer of the outbox applied.",
            "consumer",
        )
        self.outbox_consumer_lag_events = _gauge(
            "billing_outbox_consumer_lag_events",
            "Events of a consumer's types it has not applied yet (counted to 100000).",
            "consumer",
        )
        self.outbox_consumer_lag_seconds = _gauge(
            "billing_outbox_consumer_lag_seconds",
            "How long ago the first event a consumer has not applied occurred; 0 when "
            "it is caught up.",
            "consumer",
        )

    def all(self) -> tuple[GaugeMetricFamily, ...]:
        return tuple(vars(self).values())


def age_seconds(since: dt.datetime | None, now: dt.datetime) -> float:
    """How long ago `since` was; 0 for nothing (an empty queue is not late)."""
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())
