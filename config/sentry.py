"""Sentry set-up, with every event passed through the redaction policy."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from kit.redaction import redact

# The SDK's description of itself and of the machine: no payload is there, and a
# "name" there (`sdk.name`, `contexts.runtime.name`) is not a cardholder's.
_SDK_METADATA = frozenset({"sdk", "contexts", "modules", "platform"})


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Apply the redaction policy to the event: sensitive keys and text anywhere."""
    return {
        key: value if key in _SDK_METADATA else redact(value)
        for key, value in event.items()
    }


def init_sentry(*, dsn: str, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
    )
