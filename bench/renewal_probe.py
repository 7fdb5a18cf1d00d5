"""Counting in the renewal benchmark's Celery worker (`celery worker --include …`).

Bench-only, loaded by no other process. Every SQL statement that Django sends, from
any connection and any thread of the worker (the run's charging threads included),
goes through `CursorWrapper.execute` or `executemany`; both are wrapped here to count
one statement per call. After each `subscriptions.run_renewals` the pool process
appends one JSON line to `$BENCH_RENEWAL_PROBE_FILE`: the statements the task sent,
its result and when it finished. The worker's readiness and its pool processes' ids
are written there too, so the benchmark knows when to start and whose memory to read.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready
from django.db.backends.utils import CursorWrapper

RENEWAL_TASK = "subscriptions.run_renewals"

_statements = 0
_count_lock = threading.Lock()
_task_started: dict[str, tuple[int, float]] = {}
_write_lock = threading.Lock()
_original_execute = CursorWrapper.execute
_original_executemany = CursorWrapper.executemany


def _count() -> None:
    global _statements
    with _count_lock:
        _statements += 1


def _execute(self: CursorWrapper, sql: Any, params: Any = None) -> Any:
    _count()
    return _original_execute(self, sql, params)


def _executemany(self: CursorWrapper, sql: Any, param_list: Any) -> Any:
    _count()
    return _original_executemany(self, sql, param_list)


CursorWrapper.execute = _execute  # type: ignore[method-assign]
CursorWrapper.executemany = _executemany  # type: ignore[method-assign]


def _write(line: dict[str, Any]) -> None:
    path = os.environ.get("BENCH_RENEWAL_PROBE_FILE")
    if not path:
        return
    with _write_lock, open(path, "a", encoding="utf-8") as probe:
        probe.write(json.dumps(line, default=str) + "\n")


@worker_ready.connect
def _ready(**kwargs: Any) -> None:
    _write({"event": "ready", "pid": os.getpid(), "at": time.time()})


@worker_process_init.connect
def _pool_process(**kwargs: Any) -> None:
    _write({"event": "pool_process", "pid": os.getpid(), "at": time.time()})


@task_prerun.connect
def _before(task_id: str, task: Any, **kwargs: Any) -> None:
    if task.name == RENEWAL_TASK:
        _task_started[task_id] = (_statements, time.time())


@task_postrun.connect
def _after(task_id: str, task: Any, retval: Any = None, **kwargs: Any) -> None:
    if task.name != RENEWAL_TASK or task_id not in _task_started:
        return
    statements, started_at = _task_started.pop(task_id)
    _write(
        {
            "event": "task",
            "pid": os.getpid(),
            "started_at": started_at,
            "finished_at": time.time(),
            "statements": _statements - statements,
            "result": retval if isinstance(retval, dict) else repr(retval),
        }
    )
