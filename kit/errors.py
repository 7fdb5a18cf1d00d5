"""Anticipated business errors: the base every app's errors build on.

Specific errors live next to the code that raises them (``CurrencyMismatch`` in
``billing.money``, ``EmailTaken`` in ``accounts.errors``) and subclass one of these.
``config/exception_handler.py`` and ``grpc_api/interceptors.py`` turn them into
HTTP and gRPC errors from ``code``, ``http_status``, ``message`` and ``extra``
alone, so a new error needs no new mapping. The base sits in the kit so that the
shop, which imports no billing app, is rendered the same way.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import ClassVar

__all__ = ["Conflict", "DomainError", "NotFound"]


class DomainError(Exception):
    """Base of anticipated business errors; transports map it to their own error shape.

    The first line of a subclass's docstring is its default message, so write it as
    a sentence that can be shown to a client.
    """

    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 422

    def __init__(
        self, message: str | None = None, *, extra: Mapping[str, object] | None = None
    ) -> None:
        self._message = message
        self.extra: dict[str, object] = dict(extra or {})
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """Return the message given, or else the first line of the class docstring."""
        if self._message is not None:
            return self._message
        # getdoc walks the MRO, so a subclass without a docstring inherits one.
        doc = inspect.getdoc(type(self)) or type(self).__name__
        return doc.splitlines()[0]

    def __reduce__(self) -> tuple[object, ...]:
        # The default reduce replays only ``args`` and would drop ``extra`` when the
        # error is pickled (multiprocessing, some Celery result backends) or copied.
        return (functools.partial(type(self), self._message, extra=self.extra), ())


class NotFound(DomainError):
    """The requested object does not exist."""

    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    """The request conflicts with the current state of the object."""

    code = "conflict"
    http_status = 409
