"""Scrubbing gateway texts before they reach an exception message or a log line.

Gateways sometimes echo what they were sent ("No such PaymentMethod: 'pm_…'"), and a
card token, cryptogram or card number must never be written down by this service.
"""

from __future__ import annotations

import re
from typing import Final

REDACTED: Final = "[redacted]"
MAX_LENGTH: Final = 300
# Card numbers are 12 to 19 digits, possibly grouped by spaces or dashes.
_CARD_NUMBER: Final = re.compile(r"\d(?:[ -]?\d){11,18}")


def redact(text: str | None, *secrets: str | None) -> str:
    """`text` without the given secrets or anything shaped like a card number."""
    if not text:
        return ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _CARD_NUMBER.sub(REDACTED, text)
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH] + "…"
    return text
