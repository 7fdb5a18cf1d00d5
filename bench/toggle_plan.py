"""The reaction toggle benchmark's clicks, and what they must leave behind.

Members are split between the load generator's connections and each connection
sends its members' toggles one after another, so the toggles of one member reach
Redis in the order planned; what each answers, and the sets they leave, follow
from the sets before the run whatever the other connections do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from snacks import reaction_sets

KINDS = ("like", "hate")
# The share of toggles that come back to a snack the member toggled before in the
# run: the same kind again takes the reaction back, the other switches it.
REVISIT_SHARE = 0.25

# A member's reaction to each snack: {(snack id, member id): "like" | "hate"}.
Reactions = dict[tuple[str, str], str]


@dataclass(frozen=True, slots=True)
class Toggle:
    member: str
    snack: str
    kind: str


def plan(
    *,
    members: Sequence[str],
    snacks: Sequence[str],
    count: int,
    streams: int,
    rng: random.Random,
) -> list[list[Toggle]]:
    """`count` toggles in `streams` streams, each stream's by members of its own."""
    planned: list[list[Toggle]] = []
    for index in range(streams):
        group = members[index::streams]
        visited: dict[str, list[str]] = {}
        toggles = []
        for _ in range(count // streams + (index < count % streams)):
            member = rng.choice(group)
            earlier = visited.setdefault(member, [])
            if earlier and rng.random() < REVISIT_SHARE:
                snack = rng.choice(earlier)
            else:
                snack = rng.choice(snacks)
                earlier.append(snack)
            toggles.append(Toggle(member, snack, rng.choice(KINDS)))
        planned.append(toggles)
    return planned


def replay(
    streams: Sequence[Sequence[Toggle]], before: Reactions
) -> tuple[list[list[str | None]], Reactions]:
    """What each toggle answers (the member's reaction after it, None when taken
    back), and the reactions after them all."""
    now = dict(before)
    answers = []
    for toggles in streams:
        answered: list[str | None] = []
        for toggle in toggles:
            pair = (toggle.snack, toggle.member)
            if now.get(pair) == toggle.kind:
                del now[pair]
                answered.append(None)
            else:
                now[pair] = toggle.kind
                answered.append(toggle.kind)
        answers.append(answered)
    return answers, now


def read_sets(client: redis.Redis, snacks: Sequence[str]) -> Reactions:
    """The reactions that the Redis sets hold for `snacks` (a client that decodes
    its answers)."""
    pipe = client.pipeline(transaction=False)
    for snack in snacks:
        pipe.smembers(reaction_sets.likes_key(snack))
        pipe.smembers(reaction_sets.hates_key(snack))
    sets = pipe.execute()
    held: Reactions = {}
    for index, snack in enumerate(snacks):
        for kind, members in zip(KINDS, sets[2 * index : 2 * index + 2], strict=True):
            held.update({(snack, member): kind for member in members})
    return held
