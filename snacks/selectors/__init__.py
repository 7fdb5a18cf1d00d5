"""Reads of the snack shop: the shelf and reactions, orders, statistics, and where
its consumers stand in billing's event stream."""

from snacks.selectors._billing_events import event_consumer_cursors
from snacks.selectors._orders import (
    month_bounds,
    order_get,
    order_list,
    visible_orders,
)
from snacks.selectors._snacks import (
    SnackReactions,
    every_snack,
    ranked_snacks,
    snack_get,
    snack_reactions,
)
from snacks.selectors._statistics import (
    EARLIEST,
    LATEST,
    MAX_PERIODS,
    CurrencyAmount,
    Grain,
    OrderStatistics,
    PeriodStatistics,
    SnackQuantity,
    order_statistics,
)

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_PERIODS",
    "CurrencyAmount",
    "Grain",
    "OrderStatistics",
    "PeriodStatistics",
    "SnackQuantity",
    "SnackReactions",
    "event_consumer_cursors",
    "every_snack",
    "month_bounds",
    "order_get",
    "order_list",
    "order_statistics",
    "ranked_snacks",
    "snack_get",
    "snack_reactions",
    "visible_orders",
]
