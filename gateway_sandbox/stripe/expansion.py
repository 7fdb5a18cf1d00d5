"""`expand[]`: replacing an id in a reply by the object it names (one level or more).

Only the fields Stripe lets clients expand on the objects simulated here are accepted;
anything else is refused before the request runs, as Stripe does.
"""

from __future__ import annotations

import copy

from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import invalid_parameter
from gateway_sandbox.stripe.state import StripeState
from gateway_sandbox.stripe.wire import JsonObject

# Per object type: expandable path → the type of the object it names.
EXPANDABLE: dict[str, dict[str, str]] = {
    "customer": {"invoice_settings.default_payment_method": "payment_method"},
    "payment_method": {"customer": "customer"},
    "setup_intent": {"customer": "customer", "payment_method": "payment_method"},
    "payment_intent": {
        "customer": "customer",
        "payment_method": "payment_method",
        "latest_charge": "charge",
    },
    "charge": {
        "customer": "customer",
        "payment_intent": "payment_intent",
    },
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "event": {},
}

_COLLECTIONS = {
    "customer": "customers",
    "payment_method": "payment_methods",
    "setup_intent": "setup_intents",
    "payment_intent": "payment_intents",
    "charge": "charges",
    "refund": "refunds",
}


def read_expansions(params: Params, object_type: str) -> list[str]:
    """The request's `expand[]` paths, checked against `object_type`.

    :raises StripeApiError: for a path that cannot be expanded on `object_type`.
    """
    paths = params.strings("expand") or []
    check_expand(object_type, paths)
    return paths


def check_expand(object_type: str, paths: list[str]) -> None:
    """:raises StripeApiError: for a path that cannot be expanded on `object_type`."""
    for path in paths:
        if _target_type(object_type, path.split(".")) is None:
            raise invalid_parameter(
                "expand", f"This property cannot be expanded ({path})."
            )


def _target_type(object_type: str, segments: list[str]) -> str | None:
    table = EXPANDABLE.get(object_type, {})
    for cut in range(len(segments), 0, -1):
        target = table.get(".".join(segments[:cut]))
        if target is not None:
            rest = segments[cut:]
            return target if not rest else _target_type(target, rest)
    return None


def expand(state: StripeState, obj: JsonObject, paths: list[str]) -> JsonObject:
    """A copy of `obj` with every path in `paths` (already checked) expanded."""
    if not paths:
        return obj
    result = copy.deepcopy(obj)
    for path in paths:
        _expand_in_place(state, result, path.split("."))
    return result


def _expand_in_place(state: StripeState, obj: JsonObject, segments: list[str]) -> None:
    table = EXPANDABLE.get(obj.get("object", ""), {})
    for cut in range(len(segments), 0, -1):
        target = table.get(".".join(segments[:cut]))
        if target is None:
            continue
        container = obj
        for segment in segments[: cut - 1]:
            container = container.get(segment) or {}
        field = segments[cut - 1]
        value = container.get(field)
        if isinstance(value, str):
            found = getattr(state, _COLLECTIONS[target]).get(value)
            if found is not None:
                container[field] = copy.deepcopy(found)
        rest = segments[cut:]
        if rest and isinstance(container.get(field), dict):
            _expand_in_place(state, container[field], rest)
        return
