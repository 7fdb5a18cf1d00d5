"""The snack shop's rows: the shelf and reactions, orders, and what the shop keeps of
billing's event stream."""

from snacks.models._billing_events import BillingEventCursor
from snacks.models._orders import (
    ALLOWED_ORDER_TRANSITIONS,
    OPEN_ORDER_STATUSES,
    HoldStatus,
    Order,
    OrderStatus,
    OrderStatusChange,
    OrderTask,
    OrderTaskKind,
    Purchase,
)
from snacks.models._snacks import Reaction, ReactionKind, Snack
from snacks.models._statistics import (
    DailyOrderTotal,
    DailySnackSales,
    MonthlySnackSales,
)

__all__ = [
    "ALLOWED_ORDER_TRANSITIONS",
    "OPEN_ORDER_STATUSES",
    "BillingEventCursor",
    "DailyOrderTotal",
    "DailySnackSales",
    "HoldStatus",
    "MonthlySnackSales",
    "Order",
    "OrderStatus",
    "OrderStatusChange",
    "OrderTask",
    "OrderTaskKind",
    "Purchase",
    "Reaction",
    "ReactionKind",
    "Snack",
]
