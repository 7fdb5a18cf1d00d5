"""A card verified for a trial, without money, then charged off-session when it ends.

The real adapters and SDKs against the gateway sandbox: CloudPayments authorizes the
verification amount and voids it; Stripe confirms an off-session SetupIntent.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from billing.models import BillingEvent
from billing.money import Money
from gateway_sandbox.app import Sandbox
from payments.models import CardSetupStatus, PaymentMethod, PaymentStatus
from payments.services import (
    charge_saved_card,
    complete_card_setup_3ds,
    start_card_setup,
)
from tests.journeys.cards import CARDS, entered_card, ledger, pass_3ds

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TRIAL_ENDS_AT = NOW + dt.timedelta(days=14)
ACTOR = "system:journey"
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}


@pytest.fixture
def url(sandbox_url: str) -> str:
    """The freshly reset sandbox that both adapters point at."""
    return sandbox_url


def _money_moves(url: str, gateway: str) -> list[tuple[str, int]]:
    entries = ledger(url, gateway=gateway)["entries"]
    return [(entry["kind"], entry["amount_minor"]) for entry in entries]


@pytest.mark.parametrize("gateway", ["cloudpayments", "stripe"])
class TestCardSetupForATrial:
    def test_verified_through_3ds_saved_as_default_then_charged_off_session(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        currency = CURRENCIES[gateway]
        purpose = f"subscription:{uuid.uuid4()}"
        setup = start_card_setup(
            payer_id=uuid.uuid4(),
            gateway=gateway,
            card_payload=entered_card(url, gateway, CARDS[gateway]["setup_3ds"]),
            verification_amount=Money(100, currency),
            now=NOW,
            actor=ACTOR,
            purpose=purpose,
            return_url="https://shop.example/card-setups/3ds-return",
        )
        assert setup.status == CardSetupStatus.REQUIRES_ACTION
        assert setup.action and setup.action["url"].startswith(url)
        assert setup.gateway_reference
        answer = pass_3ds(url, gateway, setup.gateway_reference, succeed=True)

        verified = complete_card_setup_3ds(
            setup_id=setup.id, authentication_result=answer, now=NOW, actor=ACTOR
        )
        again = complete_card_setup_3ds(
            setup_id=setup.id, authentication_result=answer, now=NOW, actor=ACTOR
        )
        before_the_trial_ends = _money_moves(url, gateway)
        renewal = charge_saved_card(
            payer_id=setup.payer_id,
            amount=Money(99_900, currency),
            now=TRIAL_ENDS_AT,
            actor=ACTOR,
            pays=f"invoice:{uuid.uuid4()}",
            kind="RECURRING",
            scheduled=True,
        )

        assert verified.status == again.status == CardSetupStatus.SUCCEEDED
        assert verified.cryptogram is None
        method = PaymentMethod.objects.get(payer_id=setup.payer_id)
        assert verified.payment_method_id == method.id
        assert method.is_default and method.is_usable
        assert method.last4 == CARDS[gateway]["setup_3ds"][-4:]
        assert (
            before_the_trial_ends
            == {
                "cloudpayments": [("authorize", 100), ("void", 100)],
                "stripe": [],
            }[gateway]
        )
        assert renewal.status == PaymentStatus.SUCCEEDED
        assert renewal.payment_method_id == method.id
        assert _money_moves(url, gateway)[len(before_the_trial_ends) :] == [
            ("capture", 99_900)
        ]
        event = BillingEvent.objects.get(type="payment_method.verified")
        assert event.payload["purpose"] == purpose
        assert event.payload["payment_method_id"] == str(method.id)
