"""Identifiers shaped like Stripe's: a type prefix, an underscore and random letters.

The shapes are inferred from real objects (GATEWAYS.md C4); clients must treat ids as
opaque, so only the prefixes matter (the SDK and people recognise objects by them).
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def _random_letters(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{_random_letters(length)}"


def new_request_id() -> str:
    return new_id("req", 14)


def new_client_secret(intent_id: str) -> str:
    return f"{intent_id}_secret_{_random_letters(25)}"
