"""Use cases of the snack shop: the shelf (admins) and reactions (members)."""

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
    "retire_snack",
    "toggle_reaction",
    "update_snack",
]
