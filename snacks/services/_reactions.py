"""Reactions: toggled in Redis, persisted to the database in batches.

A toggle changes only Redis (one Lua script) and marks the pair dirty; the
`snacks.persist_reactions` task, run by beat every `REACTIONS_PERSIST_SECONDS`,
writes the dirty pairs' current state to `Reaction` rows and the snacks' counts.
Toggles acknowledged since the last persist live only in Redis until it runs:
that window is lost if Redis loses its data within it (docs/shop.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any, Final

import redis
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from kit.batches import batched
from snacks import reaction_sets
from snacks.errors import ReactionsUnavailable, SnackNotFound, SnackRetired
from snacks.models import Reaction, ReactionKind, Snack

PERSIST_BATCH_SIZE: Final = 1000
REBUILD_BATCH_SIZE: Final = 5000
# How long a toggle waits for another process's rebuild before answering 503.
REBUILD_WAIT_SECONDS: Final = 30
LOCK_TIMEOUT_SECONDS: Final = 300


@dataclasses.dataclass(frozen=True)
class ReactionResult:
    snack_id: uuid.UUID
    reaction: str | None
    likes: int
    hates: int


def toggle_reaction(
    *, user_id: uuid.UUID, snack_id: uuid.UUID, kind: str, now: dt.datetime
) -> ReactionResult:
    """Like or hate a snack; the same kind again takes it back, the other switches.

    Rebuilds the Redis sets from the database first when they are missing.

    :raises SnackNotFound: when no snack has the id.
    :raises SnackRetired: when the snack is retired.
    :raises ReactionsUnavailable: when Redis does not answer.
    """
    kind = ReactionKind(kind).value
    try:
        answer = _toggle_in_sets(snack_id=snack_id, user_id=user_id, kind=kind, now=now)
    except redis.RedisError as exc:
        raise ReactionsUnavailable() from exc
    state, likes, hates = answer
    return ReactionResult(
        snack_id=snack_id,
        reaction=None if state == "none" else str(state),
        likes=int(likes),
        hates=int(hates),
    )


def _toggle_in_sets(
    *, snack_id: uuid.UUID, user_id: uuid.UUID, kind: str, now: dt.datetime
) -> list[Any]:
    """The toggle's [state, likes, hates], after loading the sets or making the
    snack known on sale first when the toggle needs it."""
    answer = reaction_sets.toggle(snack_id=snack_id, user_id=user_id, kind=kind)
    if answer[0] == reaction_sets.UNLOADED:
        ensure_reaction_sets(now=now)
        answer = reaction_sets.toggle(snack_id=snack_id, user_id=user_id, kind=kind)
    if answer[0] == reaction_sets.NOT_KNOWN_ON_SALE:
        _know_on_sale(snack_id)
        answer = reaction_sets.toggle(snack_id=snack_id, user_id=user_id, kind=kind)
    if answer[0] in (reaction_sets.UNLOADED, reaction_sets.NOT_KNOWN_ON_SALE):
        raise ReactionsUnavailable()
    return answer


def _know_on_sale(snack_id: uuid.UUID) -> None:
    """Add the snack to the snacks known on sale, if it is.

    The row stays locked until the set holds it, so a retirement (which takes the
    snack out of the set under the same lock) cannot slip in between.

    :raises SnackNotFound: when no snack has the id.
    :raises SnackRetired: when the snack is retired.
    """
    with transaction.atomic():
        row = (
            Snack.objects.select_for_update()
            .filter(id=snack_id)
            .values_list("retired_at", flat=True)
        )
        if not row:
            raise SnackNotFound(extra={"snack_id": str(snack_id)})
        if row[0] is not None:
            raise SnackRetired()
        reaction_sets.know_on_sale([snack_id])


def persist_reactions(*, now: dt.datetime) -> int:
    """Write every pair toggled since the last run to the database, in batches of
    one transaction each; the number of pairs written.

    Each pair is written as the sets hold it now, not as it was toggled, so a run
    repeated (or a batch replayed after a crash) writes the same rows.

    :raises ReactionsUnavailable: when Redis does not answer or another run holds
        the lock for too long.
    """
    try:
        lock = reaction_sets.connection().lock(
            reaction_sets.PERSIST_LOCK,
            timeout=LOCK_TIMEOUT_SECONDS,
            blocking_timeout=REBUILD_WAIT_SECONDS,
        )
        if not lock.acquire():
            raise ReactionsUnavailable("Another run is persisting reactions.")
        try:
            pairs = reaction_sets.take_dirty()
            for batch in batched(pairs, PERSIST_BATCH_SIZE):
                _write_batch(reaction_sets.states(batch), now=now)
                reaction_sets.done_persisting(batch)
        finally:
            lock.release()
    except redis.RedisError as exc:
        raise ReactionsUnavailable() from exc
    return len(pairs)


def ensure_reaction_sets(*, now: dt.datetime) -> bool:
    """Rebuild the Redis sets from the database if they are missing; whether it did.

    :raises ReactionsUnavailable: when another process's rebuild takes too long.
    """
    if reaction_sets.is_loaded():
        return False
    with _rebuild_lock():
        # Another process may have rebuilt them while this one waited.
        if reaction_sets.is_loaded():
            return False
        _rebuild(now=now)
    return True


def rebuild_reaction_sets(*, now: dt.datetime) -> int:
    """Persist what is pending, then rebuild the Redis sets from the database; the
    number of reactions loaded.

    :raises ReactionsUnavailable: when Redis does not answer.
    """
    try:
        with _rebuild_lock():
            return _rebuild(now=now)
    except redis.RedisError as exc:
        raise ReactionsUnavailable() from exc


@contextlib.contextmanager
def _rebuild_lock() -> Iterator[None]:
    lock = reaction_sets.connection().lock(
        reaction_sets.REBUILD_LOCK,
        timeout=LOCK_TIMEOUT_SECONDS,
        blocking_timeout=REBUILD_WAIT_SECONDS,
    )
    if not lock.acquire():
        raise ReactionsUnavailable("The reaction counts are being rebuilt.")
    try:
        yield
    finally:
        lock.release()


def _rebuild(*, now: dt.datetime) -> int:
    client = reaction_sets.connection()
    # Without the marker no toggle lands, so what is persisted next is final.
    client.delete(reaction_sets.LOADED)
    persist_reactions(now=now)
    stale = list(client.scan_iter(match=reaction_sets.SNACK_SET_PATTERN, count=1000))
    for keys in batched([*stale, reaction_sets.ON_SALE], REBUILD_BATCH_SIZE):
        client.delete(*keys)
    on_sale = Snack.objects.filter(retired_at__isnull=True).values_list("id", flat=True)
    for ids in batched(on_sale.iterator(chunk_size=REBUILD_BATCH_SIZE), 5000):
        reaction_sets.know_on_sale(ids)
    loaded = 0
    rows = Reaction.objects.values_list("snack_id", "user_id", "kind").order_by()
    for batch in batched(rows.iterator(chunk_size=REBUILD_BATCH_SIZE), 5000):
        pipe = client.pipeline(transaction=False)
        for snack_id, user_id, kind in batch:
            key = (
                reaction_sets.likes_key(snack_id)
                if kind == ReactionKind.LIKE
                else reaction_sets.hates_key(snack_id)
            )
            pipe.sadd(key, str(user_id))
        pipe.execute()
        loaded += len(batch)
    client.set(reaction_sets.LOADED, now.isoformat())
    return loaded


def _write_batch(states: dict[str, str | None], *, now: dt.datetime) -> None:
    parsed = [
        (snack_id, user_id, kind)
        for value, kind in states.items()
        if (ids := _ids(value)) is not None
        for snack_id, user_id in [ids]
    ]
    snack_ids = {snack_id for snack_id, _, _ in parsed}
    user_ids = {user_id for _, user_id, _ in parsed}
    with transaction.atomic():
        known_snacks = set(
            Snack.objects.filter(id__in=snack_ids).values_list("id", flat=True)
        )
        known_users = set(
            get_user_model()
            .objects.filter(pk__in=user_ids)
            .values_list("pk", flat=True)
        )
        rows = [
            row for row in parsed if row[0] in known_snacks and row[1] in known_users
        ]
        taken_back = Q(pk__in=[])
        for snack_id, user_id, kind in rows:
            if kind is None:
                taken_back |= Q(snack_id=snack_id, user_id=user_id)
        Reaction.objects.filter(taken_back).delete()
        Reaction.objects.bulk_create(
            [
                Reaction(snack_id=snack_id, user_id=user_id, kind=kind, updated_at=now)
                for snack_id, user_id, kind in rows
                if kind is not None
            ],
            update_conflicts=True,
            unique_fields=["user", "snack"],
            update_fields=["kind", "updated_at"],
        )
        _recount({snack_id for snack_id, _, _ in rows})


def _recount(snack_ids: set[uuid.UUID]) -> None:
    """Set the snacks' counts from their rows (exact, whatever ran before)."""
    if not snack_ids:
        return
    Snack.objects.filter(id__in=snack_ids).update(
        likes=_count(ReactionKind.LIKE), hates=_count(ReactionKind.HATE)
    )


def _count(kind: ReactionKind) -> Coalesce:
    rows = (
        Reaction.objects.filter(snack_id=OuterRef("pk"), kind=kind)
        .order_by()
        .values("snack_id")
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _ids(value: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    snack_id, user_id = reaction_sets.split_pair(value)
    try:
        return uuid.UUID(snack_id), uuid.UUID(user_id)
    except ValueError:
        return None
