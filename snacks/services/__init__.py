"""Use cases of the snack shop: the shelf (admins), reactions (members) and orders."""

from snacks.services._order_holds import request_hold
from snacks.services._order_work import start_order_work
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
    "ReactionResult",
    "create_snack",
    "ensure_reaction_sets",
    "persist_reactions",
    "rebuild_reaction_sets",
    "request_hold",
    "retire_snack",
    "start_order_work",
    "toggle_reaction",
    "update_snack",
]
