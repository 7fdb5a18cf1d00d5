"""Sentry set-up: no local variables, no request bodies, no personal data, and every
event, transaction and breadcrumb passed through the redaction policy.

Two independent guards, so that a gap in one is closed by the other: the SDK is
told not to collect what may hold secrets (frames' local variables, request
bodies, cookies and users), and whatever it does collect is masked by key name and
by pattern (`kit.redaction.redact`): exception messages, log messages and their
arguments, breadcrumbs, request headers and query strings, Celery task arguments,
and the variables of any frame that carries them all the same.

Every event is tagged with the request id of the work that raised it
(`kit.correlation`), so that an error report leads to the log lines of the same
request, call, task or event. The Django, Celery and gRPC integrations give each
request, task and unary call a scope of its own.
"""

from __future__ import annotations

from typing import Any, Final

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.grpc import GRPCIntegration

from kit import correlation
from kit.redaction import redact

# The SDK's description of itself and of the machine: no payload is there, and a
# "name" there (`sdk.name`) is not a cardholder's.
_SDK_METADATA: Final = frozenset({"sdk", "modules", "platform"})
# Contexts the SDK fills with the runtime's and the machine's description
# (`contexts.runtime.name` is "CPython"); every other context is masked.
_SDK_CONTEXTS: Final = frozenset({"runtime", "os", "device"})


def prepare_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """What is sent of an event: tagged with the request id, then scrubbed."""
    return scrub_event(tag_request_id(event), hint)


def tag_request_id(event: dict[str, Any]) -> dict[str, Any]:
    """The event with the tag `request_id` of the work in hand, if any.

    Sentry calls `before_send` on the thread that captures the event, inside the
    work that raised it.
    """
    request_id = correlation.current()
    tags = event.get("tags")
    if not request_id or not isinstance(tags, dict | None):
        return event
    return {**event, "tags": {**(tags or {}), "request_id": request_id}}


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Apply the redaction policy to the event: sensitive keys and text anywhere."""
    return {key: _scrubbed(key, value) for key, value in event.items()}


def scrub_breadcrumb(
    breadcrumb: dict[str, Any], hint: dict[str, Any]
) -> dict[str, Any]:
    """Apply the redaction policy to a breadcrumb as it is recorded."""
    scrubbed: dict[str, Any] = redact(breadcrumb)
    return scrubbed


def _scrubbed(key: str, value: Any) -> Any:
    if key in _SDK_METADATA:
        return value
    if key == "contexts" and isinstance(value, dict):
        return _scrub_contexts(value)
    return redact(value)


def _scrub_contexts(contexts: dict[str, Any]) -> dict[str, Any]:
    return {
        name: context if name in _SDK_CONTEXTS else redact(context)
        for name, context in contexts.items()
    }


def init_sentry(*, dsn: str, environment: str, release: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration(), GRPCIntegration()],
        # What the SDK collects on its own: no frame variables, no bodies, no
        # cookies, no user, no queue payloads or query parameters of the database;
        # headers and query strings past the SDK's deny-list and `scrub_event`.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist"}},
            "http_bodies": [],
            "url_query_params": {"mode": "denylist"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        before_send=prepare_event,  # type: ignore[arg-type]
        before_send_transaction=prepare_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
