"""`GET /v1/payment_intents/search`: Stripe's Search API, for one kind of query only.

The sandbox understands `metadata['<key>']:'<value>'` (either quote, backslash
escapes), which is how a billing service finds a payment by its own reference after
a lost reply. Any other query is refused with a 400 that says so. Results come newest
first in Stripe's `search_result` shape; `next_page` is an opaque cursor for `page`.
Unlike Stripe, whose index trails writes by up to a minute, the sandbox finds a
PaymentIntent as soon as it exists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.errors import invalid_parameter
from gateway_sandbox.stripe.expansion import check_expand, expand
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

URL = "/v1/payment_intents/search"
DEFAULT_LIMIT = 10
_QUOTED = r"""(?P<{name}q>['"])(?P<{name}>(?:\\.|(?!(?P={name}q)).)*)(?P={name}q)"""
_METADATA_QUERY = re.compile(
    r"\s*metadata\[" + _QUOTED.format(name="key") + r"\]\s*:\s*"
    r"" + _QUOTED.format(name="value") + r"\s*",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_PAGE = re.compile(r"page_(\d+)")


def search_payment_intents(call: Call) -> JsonObject:
    params = call.params
    query = params.required_string("query")
    limit = params.integer("limit", minimum=1, maximum=100) or DEFAULT_LIMIT
    page = params.string("page")
    item_paths = _item_expansions(params.strings("expand") or [])
    params.finish()
    key, value = _metadata_condition(query)
    offset = _offset(page)

    newest_first = [
        intent
        for intent in reversed(list(call.state.payment_intents.values()))
        if intent["metadata"].get(key) == value
    ]
    found = newest_first[offset : offset + limit]
    has_more = len(newest_first) > offset + limit
    return {
        "object": "search_result",
        "data": [expand(call.state, intent, item_paths) for intent in found],
        "has_more": has_more,
        "next_page": f"page_{offset + limit}" if has_more else None,
        "url": URL,
    }


def _metadata_condition(query: str) -> tuple[str, str]:
    """:raises StripeApiError: for any query but one metadata equality."""
    match = _METADATA_QUERY.fullmatch(query)
    if match is None:
        raise invalid_parameter(
            "query",
            "The sandbox's search supports only queries of the form "
            "metadata['key']:'value'.",
        )
    return _unescape(match["key"]), _unescape(match["value"])


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _offset(page: str | None) -> int:
    if page is None:
        return 0
    match = _PAGE.fullmatch(page)
    if match is None:
        raise invalid_parameter("page", f"Invalid page: {page}")
    return int(match[1])


def _item_expansions(paths: list[str]) -> list[str]:
    """`data.<path>` expansions as paths on each PaymentIntent (checked)."""
    item_paths = []
    for path in paths:
        if not path.startswith("data."):
            raise invalid_parameter(
                "expand", f"This property cannot be expanded ({path})."
            )
        item_paths.append(path.removeprefix("data."))
    check_expand("payment_intent", item_paths)
    return item_paths
