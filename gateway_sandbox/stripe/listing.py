"""List replies (GATEWAYS.md C1): newest first, cursors, `limit` and `created` filters.

The `url` field is what lets the SDK's `auto_paging_iter()` ask for the next page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import invalid_parameter, resource_missing
from gateway_sandbox.stripe.expansion import check_expand, expand
from gateway_sandbox.stripe.ordering import CreationIndex
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

DEFAULT_LIMIT = 10
_MISSING_NAMES = {"payment_method": "PaymentMethod", "setup_intent": "setupintent"}


def list_reply(
    call: Call, items: Iterable[JsonObject], *, url: str, kind: str
) -> JsonObject:
    """One page of `items` (given oldest first) for the request's list parameters.

    `kind` is the type of the listed objects (e.g. `payment_intent`).
    :raises StripeApiError: for bad list parameters or an unknown cursor.
    """
    return indexed_list_reply(call, CreationIndex.of(items), url=url, kind=kind)


def indexed_list_reply(
    call: Call, index: CreationIndex, *, url: str, kind: str
) -> JsonObject:
    """One page of the objects of `index`: O(log n + page), whatever n is.

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

    # Positions count from the oldest; the page is read newest first.
    low, high = index.span(bounds)
    if starting_after is not None:
        after = _position(index, low, high, starting_after, kind, "starting_after")
        page = index.newest_first(max(low, after - limit), after)
        has_more = after - low > limit
    elif ending_before is not None:
        before = _position(index, low, high, ending_before, kind, "ending_before")
        page = index.newest_first(before + 1, min(high, before + 1 + limit))
        has_more = high - 1 - before > limit
    else:
        page = index.newest_first(max(low, high - limit), high)
        has_more = high - low > limit
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


def _position(
    index: CreationIndex, low: int, high: int, object_id: str, kind: str, param: str
) -> int:
    """:raises StripeApiError: resource_missing for an id not in the listed span."""
    position = index.position(object_id)
    if position is None or not low <= position < high:
        raise resource_missing(_MISSING_NAMES.get(kind, kind), object_id, param=param)
    return position
