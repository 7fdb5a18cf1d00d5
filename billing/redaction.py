"""Masking of card data, cryptograms, tokens and secrets before they leave the process.

Logs and error reports pass through `redact`, so a careless `logger.info(payload)` or an
exception that carries a gateway reply still never writes a card number or a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "[redacted]"

_SENSITIVE_KEY = re.compile(
    r"(token|cryptogram|card_?number|\bpan\b|cvv|cvc|secret|password|passwd|"
    r"authorization|api_?key|pares|pareq|session|cookie|signature|hmac)",
    re.IGNORECASE,
)
# Runs of 13-19 digits, optionally grouped by spaces or dashes, as a card number is.
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SANDBOX_CRYPTOGRAM = re.compile(r"sbx1:[A-Za-z0-9_\-=]+")
_BEARER = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_STRIPE_KEY = re.compile(r"\b(sk|rk|whsec)_(test|live)?_?[A-Za-z0-9]{6,}")


def is_sensitive_key(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key))


def passes_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact_text(text: str) -> str:
    """Mask card numbers (Luhn-valid digit runs), cryptograms, keys and credentials."""

    def mask_card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return MASK if passes_luhn(digits) else match.group(0)

    text = _DIGIT_RUN.sub(mask_card, text)
    text = _SANDBOX_CRYPTOGRAM.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _STRIPE_KEY.sub(MASK, text)


def redact(value: Any) -> Any:
    """Copy `value` with sensitive keys and sensitive-looking text masked."""
    if isinstance(value, Mapping):
        return {
            key: MASK
            if isinstance(key, str) and is_sensitive_key(key)
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value
