"""Checkout sessions for tests: opened through the service, paid through the page."""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
from typing import Any

from django.test import Client

from billing.clock import billing_now
from billing.money import Money
from payments.gateways.base import OutcomeUnknown, RequiresAction, ThreeDsChallenge
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
)
from payments.services import create_checkout_session, pay_checkout_session

PAYER = uuid.UUID("3f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")
SUCCESS_URL = "https://shop.example/thanks?order=42"
FAILURE_URL = "https://shop.example/sorry"
ACS_URL = "https://acs.example/3ds"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def open_session(
    *,
    gateway: str = "fake",
    created_at: dt.datetime | None = None,
    description: str = "Cinema, one month",
    amount: Money | None = None,
    **changes: Any,
) -> CheckoutSession:
    """A session that pays 499 RUB through the fake gateway, unless told otherwise."""
    return create_checkout_session(
        payer_id=PAYER,
        amount=amount or Money(49_900, "RUB"),
        gateway=gateway,
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
        description=description,
        created_by="user:test",
        now=created_at or billing_now(),
        **changes,
    )


def open_card_check(
    *, created_at: dt.datetime | None = None, purpose: str = ""
) -> CheckoutSession:
    """A session that verifies and saves a card, charging nothing."""
    return open_session(
        amount=Money(100, "RUB"),
        description="Cinema: the trial ends on 7 December 2026",
        created_at=created_at,
        mode=CheckoutSessionMode.CARD_SETUP,
        setup_purpose=purpose,
    )


def open_paying(pays: str, *, created_at: dt.datetime | None = None) -> CheckoutSession:
    """A session whose payment pays `pays`, not the session itself."""
    return open_session(description="Order 42", created_at=created_at, pays=pays)


def open_hold(
    reference: str = "order:42", *, created_at: dt.datetime | None = None
) -> CheckoutSession:
    """A session that holds 499 RUB for the caller's `reference` (AUTHORIZE)."""
    return open_session(
        description="Snacks: 3 items",
        created_at=created_at,
        mode=CheckoutSessionMode.AUTHORIZE,
        pays=reference,
    )


def submit_card(
    client: Client, session: CheckoutSession, payload: str = "sbx1:card"
) -> Any:
    """Post the card widget's payload to the session's page."""
    return client.post(f"/checkout/{session.id}/pay", {"card_payload": payload})


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def challenge(*, form_fields: dict[str, str] | None = None) -> RequiresAction:
    """The fake gateway's 3-D Secure step, CloudPayments style unless told."""
    fields = {"PaReq": "pareq-value", "MD": "fake_3ds_1"}
    return RequiresAction(
        ThreeDsChallenge(
            gateway_reference="fake_3ds_1",
            url=ACS_URL,
            form_fields=fields if form_fields is None else form_fields,
        )
    )


def pay_with_reply_lost(fake_gateway: FakeGateway, session: CheckoutSession) -> Payment:
    """Pay the session with the gateway's reply lost: the session stays OPEN."""
    fake_gateway.script("charge", OutcomeUnknown("reply lost"))
    paid = pay_checkout_session(
        session_id=session.id,
        card_payload="sbx1:card",
        ip_address=None,
        return_url="https://billing.example/3ds",
        now=session.created_at,
    )
    assert paid.status == CheckoutSessionStatus.OPEN
    assert paid.payment is not None
    return paid.payment
