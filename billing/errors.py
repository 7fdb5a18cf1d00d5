"""Anticipated business errors, shared by every app and mapped by every transport.

The bases (`DomainError`, `NotFound`, `Conflict`) live in `kit.errors`, shared with
the shop; they are importable from here as they always were. Specific errors live
next to the code that raises them (``CurrencyMismatch`` in ``billing.money``) and
subclass one of these.
"""

from __future__ import annotations

from kit.errors import Conflict, DomainError, NotFound

__all__ = [
    "Conflict",
    "DomainError",
    "DuplicateRequest",
    "InvalidStatusTransition",
    "NotFound",
]


class InvalidStatusTransition(Conflict):
    """The object cannot move to the requested status from its current one."""

    code = "invalid_status_transition"


class DuplicateRequest(Conflict):
    """This idempotency key was already used for a different request."""

    code = "duplicate_request"
