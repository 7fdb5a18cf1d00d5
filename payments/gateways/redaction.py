"""Gateway texts as this service keeps them: redacted, and short.

Gateways sometimes echo what they were sent ("No such PaymentMethod: 'pm_…'"), so a
text bound for an exception message, a log line or a stored failure message goes
through the one redaction policy (`kit.redaction`) with the secrets that were sent,
and is cut to a length a column and a log line hold.
"""

from __future__ import annotations

from typing import Final

from kit.redaction import redact_text

MAX_LENGTH: Final = 300


def redact(text: str | None, *secrets: str | None) -> str:
    """`text` without the given secrets or anything the redaction policy hides."""
    if not text:
        return ""
    text = redact_text(text, *secrets)
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH] + "…"
    return text
