"""Reactions counted in Redis: one set of member ids per snack and kind.

Keys (all in the database of `settings.SNACKS_REDIS_URL`):

- `snack:<id>:likes`, `snack:<id>:hates` — the members who like / hate the snack;
  counts are their `SCARD`.
- `snacks:on-sale` — ids of snacks known to be on sale. A toggle lands only on
  those, so it asks the database nothing about the snack; one missing is looked up in
  the database once and added while on sale, and retiring a snack takes it out
  before the retirement commits.
- `snacks:reactions:loaded` — the marker: the sets hold every persisted reaction.
  Without it (Redis restarted empty, or flushed) the sets are rebuilt from the
  database before anyone toggles again.
- `snacks:reactions:dirty` — `<snack id>:<user id>` pairs toggled since the last
  persist; `snacks:reactions:persisting` holds the batch a persist run took, so
  that a run that dies leaves it for the next one.

A toggle is one Lua script, so a switch from like to hate is atomic and a toggle
never lands while the sets are missing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Final

import redis
from django.conf import settings

ON_SALE: Final = "snacks:on-sale"
LOADED: Final = "snacks:reactions:loaded"
DIRTY: Final = "snacks:reactions:dirty"
PERSISTING: Final = "snacks:reactions:persisting"
REBUILD_LOCK: Final = "snacks:reactions:rebuild-lock"
PERSIST_LOCK: Final = "snacks:reactions:persist-lock"
SNACK_SET_PATTERN: Final = "snack:*:*s"

# What a toggle answers instead of {state, likes, hates}.
UNLOADED: Final = "unloaded"
NOT_KNOWN_ON_SALE: Final = "not-known-on-sale"

# KEYS: marker, likes, hates, dirty, on sale. ARGV: member id, kind, dirty pair,
# snack id.
_TOGGLE: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unloaded'} end
if redis.call('SISMEMBER', KEYS[5], ARGV[4]) == 0 then
  return {'not-known-on-sale'}
end
local mine, other = KEYS[2], KEYS[3]
if ARGV[2] == 'hate' then mine, other = KEYS[3], KEYS[2] end
local state
if redis.call('SREM', mine, ARGV[1]) == 1 then
  state = 'none'
else
  redis.call('SADD', mine, ARGV[1])
  redis.call('SREM', other, ARGV[1])
  state = ARGV[2]
end
redis.call('SADD', KEYS[4], ARGV[3])
return {state, redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3])}
"""

# KEYS: dirty, persisting. Takes the pending pairs into the persisting set, after
# any batch that a failed run left there.
_TAKE_DIRTY: Final = """
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
end
return redis.call('SMEMBERS', KEYS[2])
"""


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
    )


def connection() -> redis.Redis:
    """The Redis that counts reactions (`settings.SNACKS_REDIS_URL`)."""
    return _client(settings.SNACKS_REDIS_URL)


def likes_key(snack_id: object) -> str:
    return f"snack:{snack_id}:likes"


def hates_key(snack_id: object) -> str:
    return f"snack:{snack_id}:hates"


def pair(snack_id: object, user_id: object) -> str:
    return f"{snack_id}:{user_id}"


def split_pair(value: str) -> tuple[str, str]:
    snack_id, _, user_id = value.partition(":")
    return snack_id, user_id


def toggle(*, snack_id: object, user_id: object, kind: str) -> list[Any]:
    """Toggle `kind` for the member: [state, likes, hates]; [UNLOADED] while the
    sets are not loaded, [NOT_KNOWN_ON_SALE] for a snack not in `ON_SALE`."""
    answer = connection().eval(
        _TOGGLE,
        5,
        LOADED,
        likes_key(snack_id),
        hates_key(snack_id),
        DIRTY,
        ON_SALE,
        str(user_id),
        kind,
        pair(snack_id, user_id),
        str(snack_id),
    )
    return list(answer)


def know_on_sale(snack_ids: Iterable[object]) -> None:
    members = [str(snack_id) for snack_id in snack_ids]
    if members:
        connection().sadd(ON_SALE, *members)


def forget_on_sale(snack_id: object) -> None:
    connection().srem(ON_SALE, str(snack_id))


def is_loaded() -> bool:
    return bool(connection().exists(LOADED))


def take_dirty() -> list[str]:
    """The pairs to persist: a failed run's batch first, else those pending."""
    return list(connection().eval(_TAKE_DIRTY, 2, DIRTY, PERSISTING))


def states(pairs: Iterable[str]) -> dict[str, str | None]:
    """Each pair's current reaction in the sets: "like", "hate" or None."""
    ordered = list(pairs)
    pipe = connection().pipeline(transaction=False)
    for value in ordered:
        snack_id, user_id = split_pair(value)
        pipe.sismember(likes_key(snack_id), user_id)
        pipe.sismember(hates_key(snack_id), user_id)
    flags = pipe.execute()
    answer: dict[str, str | None] = {}
    for index, value in enumerate(ordered):
        liked, hated = flags[2 * index], flags[2 * index + 1]
        answer[value] = "like" if liked else "hate" if hated else None
    return answer


def done_persisting(pairs: Iterable[str]) -> None:
    members = list(pairs)
    if members:
        connection().srem(PERSISTING, *members)


def counts(snack_ids: Iterable[object], *, user_id: object | None) -> list[Any]:
    """Per snack: (likes, hates, the member's reaction or None)."""
    ordered = list(snack_ids)
    pipe = connection().pipeline(transaction=False)
    for snack_id in ordered:
        pipe.scard(likes_key(snack_id))
        pipe.scard(hates_key(snack_id))
        pipe.sismember(likes_key(snack_id), str(user_id))
        pipe.sismember(hates_key(snack_id), str(user_id))
    flags = pipe.execute()
    rows = []
    for index in range(len(ordered)):
        likes, hates, liked, hated = flags[4 * index : 4 * index + 4]
        mine = "like" if liked else "hate" if hated else None
        rows.append((int(likes), int(hates), mine if user_id is not None else None))
    return rows
