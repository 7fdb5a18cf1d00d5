"""Anticipated errors of the snack shop, in the API's one error shape.

They build on the kit's `DomainError`, as billing's do, so that
`config/exception_handler.py` renders them alike.
"""

from __future__ import annotations

from kit.errors import DomainError


class ShopError(DomainError):
    """The shop cannot do what was asked."""

    code = "shop_error"


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


class InvalidOrderTransition(ShopError):
    """The order's flow does not allow this move."""

    code = "invalid_status_transition"
    http_status = 409

    def __init__(self, current: str, wanted: str, *, order_id: object) -> None:
        super().__init__(
            f"An order cannot go from {current.lower()} to {wanted.lower()}.",
            extra={"order": str(order_id), "from": current, "to": wanted},
        )


class OrderNotFound(ShopError):
    """No order has this id, or it is another member's."""

    code = "not_found"
    http_status = 404


class InvoiceNotMade(ShopError):
    """The order has no invoice yet: it is made once its hold is captured.

    An order canceled before that never has one.
    """

    code = "not_found"
    http_status = 404


class InvalidOrder(ShopError):
    """The order is not valid; see extra.fields."""

    code = "validation_error"
    http_status = 400


class SnackAlreadyOrdered(ShopError):
    """A snack is in an open order of the member already: it cannot be ordered
    again until that order is completed or canceled."""

    code = "snack_already_ordered"
    http_status = 409


class OrderNotEditable(ShopError):
    """The order can be changed only while it is created."""

    code = "order_not_editable"
    http_status = 409


class OrderMoveForbidden(ShopError):
    """Only an admin of the shop may move the order so."""

    code = "permission_denied"
    http_status = 403


class SnacksHated(ShopError):
    """Snacks of the order have more hates than likes: it cannot be approved or
    ordered."""

    code = "snacks_hated"
    http_status = 409


class HoldNotAuthorized(ShopError):
    """The hold on the member's card is not authorized yet."""

    code = "hold_not_authorized"
    http_status = 409


class InvalidStatisticsQuery(ShopError):
    """The statistics cannot be given for this range; see extra.fields."""

    code = "validation_error"
    http_status = 400
