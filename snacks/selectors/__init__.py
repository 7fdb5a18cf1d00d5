"""Reads of the snack shop: the shelf and reactions, and orders."""

from snacks.selectors._orders import (
    month_bounds,
    order_get,
    order_list,
    visible_orders,
)
from snacks.selectors._snacks import (
    SnackReactions,
    ranked_snacks,
    snack_get,
    snack_reactions,
)

__all__ = [
    "SnackReactions",
    "month_bounds",
    "order_get",
    "order_list",
    "ranked_snacks",
    "snack_get",
    "snack_reactions",
    "visible_orders",
]
