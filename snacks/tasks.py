"""Celery entry points of the snack shop."""

from __future__ import annotations

from celery import Task, shared_task
from django.utils import timezone


@shared_task(name="snacks.persist_reactions", acks_late=True)
def persist_reactions(**kwargs: object) -> int:
    """Write the reactions toggled since the last run to the database (beat runs
    it every `REACTIONS_PERSIST_SECONDS`); idempotent."""
    from snacks.services import persist_reactions as persist

    return persist(now=timezone.now())


# The order work's tasks by `OrderTaskKind`: `snacks.services.start_order_work`
# sends them under their `OrderTask`'s id.
ORDER_TASKS: dict[str, Task] = {}
