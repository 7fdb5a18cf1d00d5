"""Where each consumer of billing's event stream stands."""

from __future__ import annotations

from snacks.models import BillingEventCursor


def event_consumer_cursors() -> dict[str, int]:
    """The last billing event each consumer applied, by consumer name."""
    return dict(BillingEventCursor.objects.values_list("consumer", "cursor"))
