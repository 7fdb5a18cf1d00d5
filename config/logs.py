"""Log output with the redaction policy applied to every part of a line.

A line is its message, its traceback and its stack: `RedactingFormatter` (the
text format) and `JsonFormatter` (one JSON object per line) mask all three, and
`RedactingFilter` masks the message and any traceback text cached on the record
before a handler formats it. A traceback is masked as a whole because Python
prints the exception's message in it, and gateways' and libraries' messages echo
what they were sent.

`RequestIdFilter` gives every record the id of the work in hand
(`kit.correlation`): the JSON format writes it as the top-level key `request_id`,
the text format in brackets after the level; it is empty outside any work.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from types import TracebackType
from typing import Any, Final

from kit import correlation
from kit.redaction import redact, redact_text

REQUEST_ID: Final = "request_id"
_STANDARD_ATTRIBUTES = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    REQUEST_ID,
}

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class RedactingFormatter(logging.Formatter):
    """The text format, with the message, traceback and stack masked."""

    def formatException(self, ei: _ExcInfo | tuple[None, None, None]) -> str:
        return redact_text(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact_text(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        # A record that met no `RequestIdFilter` (a handler configured without it)
        # still fills a format that names the id.
        record.__dict__.setdefault(REQUEST_ID, "")
        # A traceback cached by another handler's formatter is used as it is by
        # `logging.Formatter.format`: mask it before, and the whole line after.
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return redact_text(super().format(record))


class JsonFormatter(RedactingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "at": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": redact_text(str(getattr(record, REQUEST_ID, ""))),
            "message": redact_text(record.getMessage()),
        }
        extra = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        }
        if extra:
            payload["extra"] = redact(extra)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = redact_text(record.exc_text)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=_masked_text_of)


def _masked_text_of(value: object) -> str:
    """An extra that is no JSON value, as masked text: Django's error log passes
    the request, whose text holds its query string."""
    return redact_text(str(value))


class RedactingFilter(logging.Filter):
    """Masks card data in the message and a cached traceback of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the work in hand as `request_id`, or ""."""

    def filter(self, record: logging.LogRecord) -> bool:
        setattr(record, REQUEST_ID, correlation.current())
        return True
