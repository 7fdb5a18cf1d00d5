"""The snack shop: where reactions are counted."""

from __future__ import annotations

from config import env as environment

# Reactions are counted in Redis sets (snacks/reaction_sets.py) and persisted by
# the `snacks.persist_reactions` beat task every REACTIONS_PERSIST_SECONDS.
SNACKS_REDIS_URL = environment.SNACKS_REDIS_URL
