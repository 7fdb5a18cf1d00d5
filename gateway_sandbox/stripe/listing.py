"""List replies (GATEWAYS.md C1): newest first, cursors, `limit` and `created` filters.

The `url` field is what lets the SDK's `auto_paging_iter()` ask for the next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import invalid_parameter, resource_missing
from gateway_sandbox.stripe.expansion import check_expand, expand
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

DEFAULT_LIMIT = 10
_MISSING_NAMES = {"payment_method": "PaymentMethod", "setup_intent": "setupintent"}


def list_reply(
    call: Call, items: Sequence[JsonObject], *, url: str, kind: str
) -> JsonObject:
    """One page of `items` (given oldest first) for the request's list parameters.

    `kind` is the type of the listed objects (e.g. `payment_intent`).
    :raises StripeApiError: for bad list parameters or an unknown cursor.
    """
    params = call.params
    limit = params.integer("limit", minimum=1, maximum=100) or DEFAULT_LIMIT
    starting_after = params.string("starting_after")
    ending_before = params.string("ending_before")
    bounds = _created_bounds(params)
    item_paths = _item_expansions(params.strings("expand") or [], kind)
    params.finish()
    if starting_after is not None and ending_before is not None:
        raise invalid_parameter(
            "ending_before",
            "You may only specify one of these parameters: ending_before, "
            "starting_after.",
        )

    newest_first = [
        item
        for item in reversed(items)
        if all(_compare(item["created"], op, value) for op, value in bounds)
    ]
    if starting_after is not None:
        after = _position(newest_first, starting_after, kind, "starting_after") + 1
        page = newest_first[after : after + limit]
        has_more = len(newest_first) > after + limit
    elif ending_before is not None:
        before = _position(newest_first, ending_before, kind, "ending_before")
        page = newest_first[max(0, before - limit) : before]
        has_more = before > limit
    else:
        page = newest_first[:limit]
        has_more = len(newest_first) > limit
    return {
        "object": "list",
        "data": [expand(call.state, item, item_paths) for item in page],
        "has_more": has_more,
        "url": url,
    }


def _item_expansions(paths: list[str], kind: str) -> list[str]:
    item_paths = []
    for path in paths:
        if not path.startswith("data."):
            raise invalid_parameter(
                "expand", f"This property cannot be expanded ({path})."
            )
        item_paths.append(path.removeprefix("data."))
    check_expand(kind, item_paths)
    return item_paths


def _created_bounds(params: Params) -> list[tuple[str, int]]:
    """`created=<t>` or `created[gt|gte|lt|lte]=<t>` as (operator, time) pairs."""
    if isinstance(params.tree.get("created"), dict):
        created = params.hash("created")
        assert created is not None
        bounds = []
        for op in ("gt", "gte", "lt", "lte"):
            value = created.integer(op)
            if value is not None:
                bounds.append((op, value))
        return bounds
    exact = params.integer("created")
    return [] if exact is None else [("eq", exact)]


def _compare(created: int, op: str, value: int) -> bool:
    return {
        "eq": created == value,
        "gt": created > value,
        "gte": created >= value,
        "lt": created < value,
        "lte": created <= value,
    }[op]


def _position(items: list[JsonObject], object_id: str, kind: str, param: str) -> int:
    for index, item in enumerate(items):
        if item["id"] == object_id:
            return index
    raise resource_missing(_MISSING_NAMES.get(kind, kind), object_id, param=param)
