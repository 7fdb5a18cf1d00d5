"""The shop benchmarks' data, written fast on the benchmark's database.

Run as a process of its own with the benchmark's environment, so that Django is set
up on that database whatever the calling process set up before; each command
prints its answer as JSON:

- `python -m bench.shop_data seed MEMBERS SNACKS REACTIONS RETIRED`: members,
  snacks (the last RETIRED of them retired) and reactions, written with COPY; the
  snacks' persisted counts set from the rows; the Redis sets loaded from the rows
  and marked complete, as the service's rebuild leaves them.
- `persist`: one run of `persist_reactions`, timed.
- `persist-every SECONDS`: a run every SECONDS, as beat and a worker would, until
  SIGTERM (which lets the current run finish).
- `check`: whether the database holds what the Redis sets hold.

Other shop benchmarks build on `copy_members`, `copy_snacks` and `copy_rows`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db.models import Field, Model

CHUNK = 2_000
SEED = 20_261_208


def copy_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """Write `rows` (values of `fields`, in that order) to `model`'s table with one
    COPY; the number of rows."""
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    written = 0
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{name} is no column of {model.__name__}"
    return str(field.column)


def new_ids(count: int, rng: random.Random) -> list[uuid.UUID]:
    """`count` version-4 UUIDs, the same ones for the same `rng` state."""
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def copy_members(count: int, *, rng: random.Random) -> list[uuid.UUID]:
    """`count` active shop members who cannot sign in with a password (the
    benchmarks sign their tokens); their ids."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import ShopRole, User

    ids = new_ids(count, rng)
    now = dt.datetime.now(dt.UTC)
    unusable = make_password(None)
    values = {
        "id": lambda n: ids[n],
        "email": lambda n: f"member{n}@bench.example",
        "name": lambda n: f"Member {n}",
        "password": lambda n: unusable,
        "role": lambda n: ShopRole.MEMBER.value,
        "locale": lambda n: "en",
        "is_active": lambda n: True,
        "is_staff": lambda n: False,
        "is_superuser": lambda n: False,
        "date_joined": lambda n: now,
    }
    copy_rows(User, list(values), _rows(values, count))
    return ids


def copy_snacks(count: int, *, rng: random.Random, retired: int = 0) -> list[uuid.UUID]:
    """`count` snacks with no reactions, the last `retired` of them retired; their
    ids in that order."""
    from snacks.models import Snack

    ids = new_ids(count, rng)
    now = dt.datetime.now(dt.UTC)
    values = {
        "id": lambda n: ids[n],
        "name": lambda n: f"Snack {n:07d}",
        "url": lambda n: "",
        "description": lambda n: "",
        "image": lambda n: "",
        "amount_minor": lambda n: rng.randrange(50, 1000),
        "currency": lambda n: "EUR",
        "likes": lambda n: 0,
        "hates": lambda n: 0,
        "retired_at": lambda n: now if n >= count - retired else None,
        "created_at": lambda n: now,
        "updated_at": lambda n: now,
    }
    copy_rows(Snack, list(values), _rows(values, count))
    return ids


def _rows(
    values: dict[str, Callable[[int], object]], count: int
) -> Iterator[tuple[object, ...]]:
    """Rows 0 to `count` - 1, each field's value made from the row's number."""
    makers = list(values.values())
    for n in range(count):
        yield tuple(make(n) for make in makers)


def copy_reactions(
    count: int,
    *,
    members: Sequence[uuid.UUID],
    snacks: Sequence[uuid.UUID],
    rng: random.Random,
) -> int:
    """About `count` reactions, at most one per member and snack: each snack gets
    its share (between a third and five thirds of the mean) from a run of members,
    each a like with the snack's own odds, so the snacks spread over the ranking."""
    from snacks.models import Reaction

    weights = [0.5 + rng.random() for _ in snacks]
    scale = count / sum(weights)
    now = dt.datetime.now(dt.UTC)

    def rows() -> Iterator[tuple[object, ...]]:
        for snack_id, weight in zip(snacks, weights, strict=True):
            first, odds = rng.randrange(len(members)), rng.random()
            for offset in range(min(round(weight * scale), len(members))):
                user_id = members[(first + offset) % len(members)]
                kind = "like" if rng.random() < odds else "hate"
                yield user_id, snack_id, kind, now

    return copy_rows(Reaction, ["user", "snack", "kind", "updated_at"], rows())


def count_reactions() -> None:
    """Set every snack's persisted `likes` and `hates` from its reaction rows, in
    one statement (what `persist_reactions` keeps them at)."""
    from django.db import connection

    from snacks.models import Reaction, Snack

    snacks, reactions = Snack._meta.db_table, Reaction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {snacks} SET likes = c.likes, hates = c.hates FROM ("  # noqa: S608
            "SELECT snack_id, count(*) FILTER (WHERE kind = 'like') AS likes, "
            "count(*) FILTER (WHERE kind = 'hate') AS hates "
            f"FROM {reactions} GROUP BY snack_id) AS c WHERE {snacks}.id = c.snack_id"
        )


def load_reaction_sets() -> int:
    """Fill the Redis sets from the reaction rows and mark them complete, as
    `rebuild_reaction_sets` does, one SADD per snack and kind; the members added."""
    from django.db import connection, transaction

    from snacks import reaction_sets
    from snacks.models import Reaction

    client = reaction_sets.connection()
    keys = {"like": reaction_sets.likes_key, "hate": reaction_sets.hates_key}
    loaded = 0
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT snack_id, kind, array_agg(user_id::text) "  # noqa: S608
            f"FROM {Reaction._meta.db_table} GROUP BY snack_id, kind"
        )
        while rows := cursor.fetchmany(CHUNK):
            pipe = client.pipeline(transaction=False)
            for snack_id, kind, user_ids in rows:
                pipe.sadd(keys[kind](snack_id), *user_ids)
                loaded += len(user_ids)
            pipe.execute()
    client.set(reaction_sets.LOADED, dt.datetime.now(dt.UTC).isoformat())
    return loaded


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def seed(members: int, snacks: int, reactions: int, retired: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    seconds: dict[str, float] = {}

    def timed(step: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        answer = work()
        seconds[step] = round(time.perf_counter() - started, 2)
        return answer

    member_ids = timed("members", lambda: copy_members(members, rng=rng))
    snack_ids = timed("snacks", lambda: copy_snacks(snacks, rng=rng, retired=retired))
    written = timed(
        "reactions",
        lambda: copy_reactions(
            reactions, members=member_ids, snacks=snack_ids, rng=rng
        ),
    )
    timed("counts", count_reactions)
    timed("redis", load_reaction_sets)
    timed("analyze", analyze)
    return {
        "members": [str(i) for i in member_ids],
        "on_sale": [str(i) for i in snack_ids[: snacks - retired]],
        "reactions": written,
        "seconds": seconds,
    }


def persist() -> dict[str, float]:
    from snacks.services import persist_reactions

    started = time.perf_counter()
    pairs = persist_reactions(now=dt.datetime.now(dt.UTC))
    return {"pairs": pairs, "seconds": time.perf_counter() - started}


def persist_every(interval: float) -> dict[str, float]:
    """Persist every `interval` seconds until SIGTERM; the runs, pairs and seconds."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runs, pairs, busy = 0, 0, 0.0
    while not stop.wait(interval):
        answer = persist()
        runs, pairs = runs + 1, pairs + int(answer["pairs"])
        busy += answer["seconds"]
    return {"runs": runs, "pairs": pairs, "seconds": busy}


def check() -> dict[str, int]:
    """Compare the database with the Redis sets, snack by snack: the snacks whose
    reaction rows or persisted counts differ from the sets, and the pairs that
    still wait to be persisted."""
    from snacks import reaction_sets
    from snacks.models import Reaction, Snack

    client = reaction_sets.connection()
    rows: dict[tuple[str, str], set[str]] = {}
    for snack_id, kind, user_id in Reaction.objects.values_list(
        "snack_id", "kind", "user_id"
    ).iterator(chunk_size=CHUNK):
        rows.setdefault((str(snack_id), kind), set()).add(str(user_id))
    snacks = list(Snack.objects.values_list("id", "likes", "hates"))
    rows_differ = counts_differ = 0
    for start in range(0, len(snacks), CHUNK):
        batch = snacks[start : start + CHUNK]
        pipe = client.pipeline(transaction=False)
        for snack_id, _, _ in batch:
            pipe.smembers(reaction_sets.likes_key(snack_id))
            pipe.smembers(reaction_sets.hates_key(snack_id))
        sets = pipe.execute()
        for index, (snack_id, likes, hates) in enumerate(batch):
            liked, hated = sets[2 * index], sets[2 * index + 1]
            persisted = (
                rows.get((str(snack_id), "like"), set()),
                rows.get((str(snack_id), "hate"), set()),
            )
            rows_differ += persisted != (liked, hated)
            counts_differ += (likes, hates) != (len(liked), len(hated))
    pending = client.scard(reaction_sets.DIRTY) + client.scard(reaction_sets.PERSISTING)
    return {
        "snacks": len(snacks),
        "reactions": sum(len(users) for users in rows.values()),
        "rows_differ": rows_differ,
        "counts_differ": counts_differ,
        "pending": int(pending),
    }


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    answer: Any
    if command == "seed":
        answer = seed(*(int(arg) for arg in args))
    elif command == "persist":
        answer = persist()
    elif command == "persist-every":
        answer = persist_every(float(args[0]))
    elif command == "check":
        answer = check()
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
