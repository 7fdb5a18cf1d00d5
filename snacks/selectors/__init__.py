"""Reads of the snack shop: the shelf and reactions."""

from snacks.selectors._snacks import (
    SnackReactions,
    ranked_snacks,
    snack_get,
    snack_reactions,
)

__all__ = [
    "SnackReactions",
    "ranked_snacks",
    "snack_get",
    "snack_reactions",
]
