"""The periods of one subscription, on its anchor and in its time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from billing.errors import DomainError
from subscriptions.models import Subscription
from subscriptions.periods import BillingCycle, Period, add_intervals, period_number


class UnknownTimeZone(DomainError):
    """The time zone is not an IANA zone name such as "Europe/Moscow"."""

    code = "unknown_time_zone"


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """:raises UnknownTimeZone:"""
    try:
        return zoneinfo.ZoneInfo(name)
    # OSError: a folder of the zone database, such as "Europe", is found where a
    # zone's file is looked for, and opening it fails (IsADirectoryError).
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(extra={"time_zone": name}) from None


def first_period(
    starts_at: dt.datetime, cycle: BillingCycle, *, time_zone: str
) -> Period:
    """The period anchored at `starts_at`, boundaries on the zone's wall clock."""
    anchor = starts_at.astimezone(zone_named(time_zone))
    return Period(anchor, add_intervals(anchor, cycle, 1))


def period_after(subscription: Subscription, cycle: BillingCycle) -> Period:
    """The period that follows the subscription's current one.

    It starts where the current one ends and ends on the next boundary of the
    subscription's anchor, so the anchor day is kept across short months.
    """
    zone = zone_named(subscription.time_zone)
    anchor = subscription.billing_anchor_at.astimezone(zone)
    starts_at = subscription.current_period_ends_at.astimezone(zone)
    n = period_number(anchor, cycle, starts_at)
    return Period(starts_at, add_intervals(anchor, cycle, n + 1))


def next_look_at(subscription: Subscription) -> dt.datetime:
    """When the renewal run must look next at a subscription in good standing: the
    end of its period (or trial), or an earlier scheduled cancellation."""
    ends_at = subscription.current_period_ends_at
    if subscription.cancel_at is not None:
        return min(subscription.cancel_at, ends_at)
    return ends_at
