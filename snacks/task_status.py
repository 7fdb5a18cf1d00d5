"""The state and progress of an order's Celery work, for the task-status endpoint.

A task's state is django-celery-results' row of its id (PENDING until a worker
takes it; STARTED, PROGRESS with the step it is at, RETRY, SUCCESS or FAILURE).
Work that finished while no result was kept (an eager run) reads as SUCCESS.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django_celery_results.models import TaskResult

from accounts.models import User
from snacks.errors import OrderNotFound
from snacks.models import OrderTask
from snacks.selectors import visible_orders


@dataclass(frozen=True)
class TaskStatus:
    task_id: uuid.UUID
    order_id: uuid.UUID
    kind: str
    state: str
    progress: dict[str, Any]
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class TaskNotFound(OrderNotFound):
    """No order work has this id, or it is another member's."""


def order_task_status(task_id: uuid.UUID, *, viewer: User) -> TaskStatus:
    """The status of the work `task_id` of an order `viewer` may see.

    :raises TaskNotFound: also for another member's order's work.
    """
    work = OrderTask.objects.filter(
        task_id=task_id, order__in=visible_orders(viewer=viewer)
    ).first()
    if work is None:
        raise TaskNotFound(extra={"task": str(task_id)})
    result = TaskResult.objects.filter(task_id=str(task_id)).first()
    state = "PENDING" if result is None else result.status
    if work.finished_at is not None and state in ("PENDING", "STARTED", "PROGRESS"):
        state = "SUCCESS"
    return TaskStatus(
        task_id=work.task_id,
        order_id=work.order_id,
        kind=work.kind,
        state=state,
        progress=_progress(result),
        error=_error(result),
        created_at=work.created_at,
        finished_at=work.finished_at,
    )


def _progress(result: TaskResult | None) -> dict[str, Any]:
    if result is None or result.status not in ("PROGRESS", "RETRY"):
        return {}
    meta = _json(result.result)
    return meta if isinstance(meta, dict) else {}


def _error(result: TaskResult | None) -> str:
    if result is None or result.status not in ("FAILURE", "RETRY"):
        return ""
    meta = _json(result.result)
    if isinstance(meta, dict):
        return str(meta.get("exc_message") or meta.get("exc_type") or "")
    return ""


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return None
