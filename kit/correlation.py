"""The request id: one id for a piece of work, however many processes it crosses.

A web request, a gRPC call, a Celery task or an event the shop applies runs with
an id held in a context variable; log lines carry it (`config.logs`), error
reports are tagged with it (`config.sentry`), and every task sent while it is set
carries it on to the worker (`config.task_request_ids`). It enters from outside
as the HTTP header `X-Request-ID`, the gRPC metadata key `x-request-id` or the
Celery message header `request_id`, and is taken only when well formed
(`is_well_formed`); anything else gets a new id, so that a caller can never write
a line break, a secret or a megabyte into every log line of the work.

`bind(value)` is all an entry point needs where the context ends with the work;
a thread that serves one piece of work after another calls `unbind()` after each,
or uses `bound(value)`, which puts the previous id back after its block.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Final, TypeGuard

from kit.redaction import redact_text

HTTP_HEADER: Final = "X-Request-ID"
GRPC_METADATA_KEY: Final = "x-request-id"
CELERY_HEADER: Final = "request_id"
# Room for any tracer's id (a W3C traceparent is 55 characters); shorter than the
# 120 characters of base64 that the redaction policy masks as a possible cryptogram.
MAX_LENGTH: Final = 100

# Letters, digits and the punctuation that ids of proxies and tracers use (UUIDs,
# `Root=1-5e1b…`, `host:42/7`); nothing that ends a log line or a header.
_WELL_FORMED: Final = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9._:/=+@-]{{0,{MAX_LENGTH - 1}}}"
)

# The shape of the ids this module makes, which the redaction policy never masks:
# such an id needs no second look (masking is the costly check, tens of µs).
_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)

_current: ContextVar[str] = ContextVar("request_id", default="")


def current() -> str:
    """The id of the work in hand; empty outside any."""
    return _current.get()


def new_request_id() -> str:
    """A fresh id: a UUID written with its dashes, which the redaction policy
    leaves whole (a hex UUID may hold a card-like run of 12 digits)."""
    return str(uuid.uuid4())


def is_well_formed(value: str | None) -> TypeGuard[str]:
    """Whether an id from outside may be taken as it is.

    It is at most `MAX_LENGTH` safe characters, and nothing in it is masked by the
    redaction policy: an id that logs or Sentry showed masked could not be
    followed, and an id shaped like a card number must not be written anywhere.
    """
    if value is None or _WELL_FORMED.fullmatch(value) is None:
        return False
    return _UUID.fullmatch(value) is not None or redact_text(value) == value


def chosen(incoming: str | None, *, fallback: str = "") -> str:
    """`incoming` when well formed, else `fallback` when given, else a new id."""
    if is_well_formed(incoming):
        return incoming
    return fallback or new_request_id()


def bind(incoming: str | None = None, *, fallback: str = "") -> str:
    """Make the id of the work in hand `incoming` (or another, as `chosen` says),
    and return it; for an entry point whose context ends with the work (an ASGI
    request, an asyncio task)."""
    request_id = chosen(incoming, fallback=fallback)
    _current.set(request_id)
    return request_id


def unbind() -> None:
    """Forget the id: the thread's next lines belong to no work until it binds one."""
    _current.set("")


@contextlib.contextmanager
def bound(incoming: str | None = None, *, fallback: str = "") -> Iterator[str]:
    """`bind` for the length of the block, then the id from before it again."""
    request_id = chosen(incoming, fallback=fallback)
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)
