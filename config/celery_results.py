"""Task results with the redaction policy applied to failures before they are stored.

A failed task's result is its exception's message and its traceback, which the
result backend (django-celery-results by default) writes to a table: a gateway's
or a library's message that echoes a token would be kept there for good.
"""

from __future__ import annotations

import functools
from typing import Any

from celery.backends.base import Backend

from kit.redaction import redact, redact_text


class RedactedFailures:
    """Mixed into the configured backend class: masks what a failure stores."""

    def prepare_exception(self, exc: BaseException, serializer: Any = None) -> Any:
        prepared = super().prepare_exception(exc, serializer)  # type: ignore[misc]
        if isinstance(prepared, dict) and "exc_message" in prepared:
            return {**prepared, "exc_message": redact(prepared["exc_message"])}
        return prepared

    def store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: str | None = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        masked = redact_text(traceback) if traceback else traceback
        return super().store_result(  # type: ignore[misc]
            task_id, result, state, masked, request, **kwargs
        )


@functools.cache
def redacting(backend_class: type[Backend]) -> type[Backend]:
    """`backend_class` with failures masked before they are stored."""
    return type(
        f"Redacting{backend_class.__name__}", (RedactedFailures, backend_class), {}
    )
