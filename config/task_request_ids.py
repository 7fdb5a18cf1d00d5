"""The request id carried from whoever sends a Celery task to the worker that runs it.

Sending a task while an id is bound (a web request, a gRPC call, a task, an event
the shop applies) adds it to the message as the header `request_id`. The worker
binds the header's id while the task runs; a task sent with none (by beat, or by
a script) runs under its own task id, which Celery already logs beside it. Tasks
that a task sends carry the same id on, so one request's work is followed across
any number of workers.

Eager tasks (run where they are sent, as the test settings do) have no message:
they keep the id of the work that sent them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from celery import Task

from kit import correlation

# The blocks holding each running task's id, by task id: entered when the task
# starts and left when it ends, two signals apart.
_running: dict[str, contextlib.AbstractContextManager[str]] = {}


def add_request_id_header(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """`before_task_publish`: the id of the sender's work on the message, if any.

    A header given by the sender (`apply_async(headers=…)`, a retry) is kept.
    """
    request_id = correlation.current()
    if request_id and headers is not None:
        headers.setdefault(correlation.CELERY_HEADER, request_id)


def bind_task_request_id(task_id: str, task: Task[Any, Any], **kwargs: Any) -> None:
    """`task_prerun`: the message's id, else the sender's (eager), else the task's."""
    headers = task.request.headers or {}
    incoming = headers.get(correlation.CELERY_HEADER)
    block = correlation.bound(incoming, fallback=correlation.current() or task_id)
    block.__enter__()
    _running[task_id] = block


def unbind_task_request_id(task_id: str, **kwargs: Any) -> None:
    """`task_postrun`: the id from before the task again (none, in a worker)."""
    block = _running.pop(task_id, None)
    if block is not None:
        block.__exit__(None, None, None)
