"""The status machine that every stateful billing model shares, and shared columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models

from billing.errors import InvalidStatusTransition

# Every money row carries an ISO 4217 code.
CURRENCY_FORMAT = models.Q(currency__regex=r"^[A-Z]{3}$")


class StatusMachine:
    """`transition_to` for a model whose `status` follows a transition table.

    A model sets `TRANSITIONS` (each status and the statuses it may move to, its
    module's `ALLOWED_TRANSITIONS`), `STAMPS` (the `*_at` field, or fields, each
    status stamps) and `SUBJECT` (how errors name it: "payment", "card_setup").
    """

    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]]
    STAMPS: ClassVar[Mapping[str, str | tuple[str, ...]]]
    SUBJECT: ClassVar[str]
    # Model fields, declared by each model.
    id: Any
    status: Any
    updated_at: Any

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def transition_to(self, status: str, *, at: dt.datetime) -> str:
        """Move to `status`, stamping its time; return the status left.

        :raises InvalidStatusTransition: when the state machine does not allow it.
        """
        if not self.can_transition_to(status):
            raise InvalidStatusTransition(
                f"A {self.SUBJECT.replace('_', ' ')} cannot go from {self.status} to "
                f"{status}.",
                extra={self.SUBJECT: str(self.id), "from": self.status, "to": status},
            )
        previous: str = self.status
        self.status = status
        self.updated_at = at
        stamps = self.STAMPS.get(status, ())
        for stamp in (stamps,) if isinstance(stamps, str) else stamps:
            setattr(self, stamp, at)
        return previous
