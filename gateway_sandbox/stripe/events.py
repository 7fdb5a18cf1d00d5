"""Events (GATEWAYS.md C4, C5.9): snapshots of changed objects, kept for 30 days."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.errors import invalid_parameter, resource_missing
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.listing import list_reply
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

# Stripe lists and retrieves Events of the last 30 days only.
RETENTION = dt.timedelta(days=30)
MAX_TYPES = 20


def build_event(
    *,
    event_type: str,
    obj: JsonObject,
    previous_attributes: JsonObject | None,
    request_id: str | None,
    idempotency_key: str | None,
    api_version: str,
    created: int,
    pending_webhooks: int,
) -> JsonObject:
    data: JsonObject = {"object": copy.deepcopy(obj)}
    if previous_attributes:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def retained_events(call: Call) -> list[JsonObject]:
    oldest = call.timestamp - int(RETENTION.total_seconds())
    return [e for e in call.state.events.values() if e["created"] >= oldest]


def retrieve_event(call: Call) -> JsonObject:
    call.params.ignore("expand")
    call.params.finish()
    event_id = call.path_args["id"]
    event = call.state.events.get(event_id)
    if event is None or event not in retained_events(call):
        raise resource_missing("event", event_id, param="id")
    return event


def list_events(call: Call) -> JsonObject:
    params = call.params
    type_pattern = params.string("type")
    types = params.strings("types")
    params.ignore("delivery_success")
    if type_pattern is not None and types is not None:
        raise invalid_parameter(
            "types", "You may only specify one of these parameters: type, types."
        )
    if types is not None and len(types) > MAX_TYPES:
        raise invalid_parameter("types", f"You may pass at most {MAX_TYPES} types.")
    patterns = [type_pattern] if type_pattern is not None else types
    matchers = [_type_matcher(pattern) for pattern in patterns or []]
    events = [
        event
        for event in retained_events(call)
        if not matchers or any(m.fullmatch(event["type"]) for m in matchers)
    ]
    return list_reply(call, events, url="/v1/events", kind="event")


def _type_matcher(pattern: str) -> re.Pattern[str]:
    # Stripe's only wildcard is `*` (e.g. `payment_intent.*`).
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
