"""Use cases of the snack shop: the shelf (admins), reactions (members) and orders."""

from snacks.services._billing_events import (
    SHOP_EVENT_TYPES,
    BillingEventCursors,
    apply_billing_event,
)
from snacks.services._order_fulfilment import (
    capture_order_hold,
    make_order_invoice,
    send_order_confirmation,
    send_shipping_notice,
    void_order_hold,
)
from snacks.services._order_holds import request_hold
from snacks.services._order_moves import cancel_order_for_failed_hold, move_order
from snacks.services._order_shipping import (
    give_up_shipment,
    register_order_shipment,
)
from snacks.services._order_tallies import recount_order_statistics
from snacks.services._order_work import resend_lost_work, start_order_work
from snacks.services._orders import (
    MAX_PURCHASES,
    MAX_QUANTITY,
    edit_order,
    place_order,
)
from snacks.services._reactions import (
    ReactionResult,
    ensure_reaction_sets,
    persist_reactions,
    rebuild_reaction_sets,
    toggle_reaction,
)
from snacks.services._snacks import (
    EDITABLE_FIELDS,
    create_snack,
    retire_snack,
    update_snack,
)

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_PURCHASES",
    "MAX_QUANTITY",
    "SHOP_EVENT_TYPES",
    "BillingEventCursors",
    "ReactionResult",
    "apply_billing_event",
    "cancel_order_for_failed_hold",
    "capture_order_hold",
    "create_snack",
    "edit_order",
    "ensure_reaction_sets",
    "give_up_shipment",
    "make_order_invoice",
    "move_order",
    "persist_reactions",
    "place_order",
    "rebuild_reaction_sets",
    "recount_order_statistics",
    "register_order_shipment",
    "request_hold",
    "resend_lost_work",
    "retire_snack",
    "send_order_confirmation",
    "send_shipping_notice",
    "start_order_work",
    "toggle_reaction",
    "update_snack",
    "void_order_hold",
]
