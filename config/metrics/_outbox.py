"""How far each consumer of billing's events outbox trails it.

The shop's consumers keep their cursors in the shop's tables (`snacks`), and follow
only the shop's event types: a consumer is behind by the events of those types
after its cursor, not by every event billing wrote since (most of which it never
asks for). The consumer `SHOP_EVENTS_CONSUMER` is listed before it has saved a
cursor, at 0: one that never applied an event is the most behind of all.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.conf import settings

from billing.selectors import event_backlog_after, latest_event_cursor
from config.metrics._families import BillingFamilies, age_seconds
from snacks.selectors import event_consumer_cursors
from snacks.services import SHOP_EVENT_TYPES

# The most events a consumer's lag counts: beyond, the count costs more than it
# tells (the seconds say how late it is).
LAG_COUNT_LIMIT: Final = 100_000


def collect_outbox(families: BillingFamilies, *, now: dt.datetime) -> None:
    families.outbox_latest_cursor.add_metric([], latest_event_cursor())
    cursors = {settings.SHOP_EVENTS_CONSUMER: 0, **event_consumer_cursors()}
    for consumer, cursor in sorted(cursors.items()):
        backlog = event_backlog_after(
            after_cursor=cursor, types=SHOP_EVENT_TYPES, count_limit=LAG_COUNT_LIMIT
        )
        families.outbox_consumer_cursor.add_metric([consumer], cursor)
        families.outbox_consumer_lag_events.add_metric([consumer], backlog.count)
        families.outbox_consumer_lag_seconds.add_metric(
            [consumer],
            age_seconds(backlog.first_occurred_at, now),
        )
