"""The audit trail: one append-only row per status transition."""

from __future__ import annotations

import datetime as dt

from billing import outbox
from billing.models import StatusChange


def record_status_change(
    *,
    object_type: str,
    object_id: str,
    from_status: str,
    to_status: str,
    actor: str,
    reason: str,
    at: dt.datetime,
) -> StatusChange:
    """Append one transition to the audit trail (inside the caller's transaction).

    Inside `billing.outbox.atomic()` the row is written at the end of that block.
    """
    change = StatusChange(
        object_type=object_type,
        object_id=object_id,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        at=at,
    )
    if not outbox.hold_status_change(change):
        change.save(force_insert=True)
    return change
