"""Payments made through the services against the in-memory gateway."""

from __future__ import annotations

import datetime as dt
import uuid

from billing.money import Money
from payments.gateways.base import RequiresAction, ThreeDsChallenge
from payments.gateways.fake import FakeGateway
from payments.models import CardSetup, Payment
from payments.services import start_card_payment, start_card_setup

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
AMOUNT = Money(99_900, "RUB")
ACTOR = "system:test"


def pay_by_card(
    *, capture: bool = True, pays: str = "", payer_id: uuid.UUID | None = None
) -> Payment:
    """A first payment with a card just entered, through the "fake" gateway."""
    return start_card_payment(
        payer_id=payer_id or uuid.uuid4(),
        gateway="fake",
        amount=AMOUNT,
        card_payload="sbx1:cryptogram",
        now=NOW,
        actor=ACTOR,
        pays=pays,
        capture=capture,
    )


def pay_into_3ds_challenge(fake_gateway: FakeGateway) -> Payment:
    """A first payment that the gateway holds for 3-D Secure."""
    fake_gateway.script(
        "charge",
        RequiresAction(
            ThreeDsChallenge(
                gateway_reference="tx-3ds",
                url="https://acs.example/",
                form_fields={"PaReq": "pareq", "MD": "tx-3ds"},
            )
        ),
    )
    return pay_by_card()


VERIFICATION_AMOUNT = Money(100, "RUB")
PURPOSE = "subscription:7f1c1a8e-0000-4000-8000-000000000001"


def set_up_card(
    *, payer_id: uuid.UUID | None = None, gateway: str = "fake"
) -> CardSetup:
    """A card verified without charging it, for a subscription's trial."""
    return start_card_setup(
        payer_id=payer_id or uuid.uuid4(),
        gateway=gateway,
        card_payload="sbx1:cryptogram",
        verification_amount=VERIFICATION_AMOUNT,
        now=NOW,
        actor=ACTOR,
        purpose=PURPOSE,
        return_url="https://billing.example/card-setups/3ds/return",
    )


def set_up_into_3ds_challenge(fake_gateway: FakeGateway) -> CardSetup:
    """A card setup that the gateway holds for 3-D Secure."""
    fake_gateway.script(
        "setup_card",
        RequiresAction(
            ThreeDsChallenge(
                gateway_reference="tx-setup-3ds",
                url="https://acs.example/",
                form_fields={"PaReq": "pareq", "MD": "tx-setup-3ds"},
            )
        ),
    )
    return set_up_card()
