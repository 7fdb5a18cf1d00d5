"""The Celery work an order starts: once per order, kind and subject.

The work's row commits with the change that asks for it, and the task is sent
once that transaction commits, under the row's task id: asking twice (a retried
request, an event applied again) finds the row and sends nothing more, and the
task-status endpoint finds the task's state by the row.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django_celery_results.models import TaskResult

from snacks.models import Order, OrderTask

# Work resent per run of the sweep; the rest waits for the next run.
_RESEND_BATCH = 500


def start_order_work(
    order: Order, kind: str, *, now: dt.datetime, subject: str = ""
) -> OrderTask:
    """Record the order's work of `kind` and send its task after the commit;
    the existing row when it was asked for already."""
    existing = OrderTask.objects.filter(order=order, kind=kind, subject=subject).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            work = OrderTask.objects.create(
                order=order, kind=kind, subject=subject, created_at=now
            )
    except IntegrityError:
        return OrderTask.objects.get(order=order, kind=kind, subject=subject)
    transaction.on_commit(lambda: _send(work), robust=True)
    return work


def _send(work: OrderTask) -> None:
    # The tasks are the app's interface to Celery; imported here, as a receiver
    # would, so that services stay importable without the worker's modules.
    from snacks.tasks import ORDER_TASKS

    ORDER_TASKS[work.kind].apply_async(
        kwargs={"order_id": str(work.order_id), "subject": work.subject},
        task_id=str(work.task_id),
    )


def resend_lost_work(*, now: dt.datetime, older_than: dt.timedelta) -> int:
    """Send again the unfinished work that no worker has taken for `older_than`
    (its message was lost: the broker was down when the change committed); how
    many. Run again, a task finds its work finished and does nothing."""
    stale = list(
        OrderTask.objects.filter(
            finished_at__isnull=True, created_at__lt=now - older_than
        ).order_by("created_at")[:_RESEND_BATCH]
    )
    taken = set(
        TaskResult.objects.filter(
            task_id__in=[str(work.task_id) for work in stale]
        ).values_list("task_id", flat=True)
    )
    lost = [work for work in stale if str(work.task_id) not in taken]
    for work in lost:
        _send(work)
    return len(lost)
