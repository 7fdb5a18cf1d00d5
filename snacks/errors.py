"""Anticipated errors of the snack shop, in the API's one error shape.

The shop imports no billing code, so it has its own base with the same attributes
as billing's `DomainError` (`code`, `http_status`, `message`, `extra`);
`config/exception_handler.py` maps both.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import ClassVar


class ShopError(Exception):
    """The shop cannot do what was asked."""

    code: ClassVar[str] = "shop_error"
    http_status: ClassVar[int] = 422

    def __init__(
        self, message: str | None = None, *, extra: Mapping[str, object] | None = None
    ) -> None:
        doc = inspect.getdoc(type(self)) or type(self).__name__
        self.message = message if message is not None else doc.splitlines()[0]
        self.extra: dict[str, object] = dict(extra or {})
        super().__init__(self.message)


class SnackNotFound(ShopError):
    """No snack has this id."""

    code = "not_found"
    http_status = 404


class SnackRetired(ShopError):
    """The snack is retired: nobody can react to it or change it any more."""

    code = "snack_retired"
    http_status = 409


class InvalidSnack(ShopError):
    """The snack is not valid; see extra.fields."""

    code = "validation_error"
    http_status = 400


class ReactionsUnavailable(ShopError):
    """Reactions cannot be counted right now; try again shortly."""

    code = "reactions_unavailable"
    http_status = 503
