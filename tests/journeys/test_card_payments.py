"""Card payments end to end: the real adapters and SDKs against the gateway sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import BillingEvent
from billing.money import Money
from gateway_sandbox.app import Sandbox
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.services import (
    RefundExceedsCaptured,
    capture_payment,
    charge_saved_card,
    complete_3ds,
    refund_payment,
    settle_unknown_payments,
    void_payment,
)
from tests.journeys.cards import (
    CARDS,
    DECLINE_CODES,
    THREE_DS_FAILURE_CODES,
    entered_card,
    ledger,
    pass_3ds,
    set_faults,
)
from tests.payments.factories import PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
GATEWAYS = ["cloudpayments", "stripe"]
ACTOR = "system:journey"


def _pay(
    sandbox: Sandbox, url: str, gateway: str, card: str, *, capture: bool = True
) -> Payment:
    return PaymentFactory.create(
        gateway=gateway,
        amount=Money(125_000, "RUB" if gateway == "cloudpayments" else "USD"),
        card_payload=entered_card(url, gateway, CARDS[gateway][card]),
        now=NOW,
        actor=ACTOR,
        description="Journey",
        capture=capture,
        return_url="https://shop.example/3ds-return",
    )


def _captures(url: str, payment: Payment) -> list[dict[str, object]]:
    entries = ledger(url, reference=f"payment:{payment.id}")["entries"]
    if not entries:
        entries = ledger(url, invoice_id=f"payment:{payment.id}")["entries"]
    return [e for e in entries if isinstance(e, dict) and e["kind"] == "capture"]


@pytest.fixture
def url(sandbox_url: str) -> str:
    """The freshly reset sandbox that both adapters point at."""
    return sandbox_url


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestFirstPayment:
    def test_without_3ds_succeeds_saves_the_masked_card_and_wipes_the_cryptogram(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success")

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.captured_minor == 125_000
        assert payment.cryptogram is None
        method = PaymentMethod.objects.get(payments=payment)
        assert method.last4 == CARDS[gateway]["success"][-4:]
        assert method.is_default and method.is_usable
        assert len(_captures(url, payment)) == 1
        assert BillingEvent.objects.filter(type="payment.succeeded").count() == 1

    def test_with_3ds_waits_for_the_payer_then_succeeds(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success_3ds")
        assert payment.status == PaymentStatus.REQUIRES_ACTION
        assert payment.action and payment.action["url"].startswith(url)
        assert payment.gateway_reference
        result = pass_3ds(url, gateway, payment.gateway_reference, succeed=True)

        completed = complete_3ds(
            payment_id=payment.id, authentication_result=result, now=NOW, actor=ACTOR
        )
        again = complete_3ds(
            payment_id=payment.id, authentication_result=result, now=NOW, actor=ACTOR
        )

        assert completed.status == again.status == PaymentStatus.SUCCEEDED
        assert len(_captures(url, payment)) == 1
        assert PaymentMethod.objects.filter(payer_id=payment.payer_id).count() == 1

    def test_failed_3ds_fails_the_payment(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success_3ds")
        assert payment.gateway_reference
        result = pass_3ds(url, gateway, payment.gateway_reference, succeed=False)

        failed = complete_3ds(
            payment_id=payment.id, authentication_result=result, now=NOW, actor=ACTOR
        )

        assert failed.status == PaymentStatus.FAILED
        assert failed.failure_code == THREE_DS_FAILURE_CODES[gateway]
        assert _captures(url, payment) == []

    def test_a_decline_keeps_the_gateways_reason(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "insufficient_funds")

        assert payment.status == PaymentStatus.FAILED
        assert payment.failure_code == DECLINE_CODES[gateway]
        assert payment.failure_message
        assert not PaymentMethod.objects.filter(payer_id=payment.payer_id).exists()
        assert _captures(url, payment) == []


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestTwoStep:
    def test_authorize_then_capture_part(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success", capture=False)
        assert payment.status == PaymentStatus.AUTHORIZED

        captured = capture_payment(
            payment_id=payment.id,
            amount=Money(100_000, payment.currency),
            now=NOW,
            actor=ACTOR,
        )

        assert captured.status == PaymentStatus.SUCCEEDED
        assert captured.captured_minor == 100_000
        assert [e["amount_minor"] for e in _captures(url, payment)] == [100_000]

    def test_authorize_then_void(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success", capture=False)

        voided = void_payment(payment_id=payment.id, now=NOW, actor=ACTOR)

        assert voided.status == PaymentStatus.CANCELED
        assert _captures(url, payment) == []
        assert BillingEvent.objects.filter(type="payment.voided").count() == 1


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestRefunds:
    def test_partial_refunds_up_to_the_total_and_no_further(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        payment = _pay(gateway_sandbox, url, gateway, "success")
        currency = payment.currency

        first = refund_payment(
            payment_id=payment.id,
            amount=Money(25_000, currency),
            reason="REQUESTED_BY_CUSTOMER",
            requested_by=ACTOR,
            now=NOW,
        )
        rest = refund_payment(
            payment_id=payment.id, reason="SERVICE_ISSUE", requested_by=ACTOR, now=NOW
        )
        with pytest.raises(RefundExceedsCaptured):
            refund_payment(
                payment_id=payment.id,
                amount=Money(1, currency),
                reason="OTHER",
                requested_by=ACTOR,
                now=NOW,
            )

        payment.refresh_from_db()
        assert (first.status, rest.status) == ("SUCCEEDED", "SUCCEEDED")
        assert rest.amount_minor == 100_000
        assert payment.refunded_minor == payment.captured_minor
        assert payment.refund_state == "REFUNDED"
        totals = ledger(url)["totals"]
        assert isinstance(totals, dict)
        assert totals[currency]["refunded_minor"] == 125_000


class TestSavedCards:
    def test_the_4111_card_pays_once_then_its_token_is_declined_softly(
        self, gateway_sandbox: Sandbox, url: str
    ) -> None:
        first = _pay(gateway_sandbox, url, "cloudpayments", "later_token_fails")

        renewal = charge_saved_card(
            payer_id=first.payer_id,
            amount=Money(125_000, "RUB"),
            now=NOW,
            actor=ACTOR,
            kind="RECURRING",
            scheduled=True,
        )

        assert first.status == PaymentStatus.SUCCEEDED
        assert renewal.status == PaymentStatus.FAILED
        assert renewal.failure_code == "5051"
        assert PaymentMethod.objects.get(payments=first).is_usable

    @pytest.mark.parametrize("gateway", GATEWAYS)
    def test_a_saved_card_is_charged_off_session(
        self, gateway: str, gateway_sandbox: Sandbox, url: str
    ) -> None:
        first = _pay(gateway_sandbox, url, gateway, "success")

        renewal = charge_saved_card(
            payer_id=first.payer_id,
            amount=first.amount,
            now=NOW,
            actor=ACTOR,
            kind="RECURRING",
            scheduled=True,
        )

        assert renewal.status == PaymentStatus.SUCCEEDED
        assert renewal.payment_method_id == first.payment_method_id
        assert len(_captures(url, renewal)) == 1


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize(
    "fault", [{"drop_reply_rate": 1}, {"timeout_rate": 1, "timeout_hang_seconds": 3}]
)
class TestUnknownOutcomes:
    def test_a_lost_answer_is_settled_by_the_janitor_and_charged_once(
        self,
        gateway: str,
        fault: dict[str, object],
        gateway_sandbox: Sandbox,
        url: str,
        settings: object,
    ) -> None:
        settings.GATEWAY_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]
        from payments.gateways import reset_gateways

        reset_gateways()
        first = _pay(gateway_sandbox, url, gateway, "success")
        set_faults(url, **fault)

        renewal = charge_saved_card(
            payer_id=first.payer_id, amount=first.amount, now=NOW, actor=ACTOR
        )
        set_faults(url, drop_reply_rate=0, timeout_rate=0)
        early = settle_unknown_payments(now=NOW + dt.timedelta(minutes=1))
        settled = settle_unknown_payments(now=NOW + dt.timedelta(minutes=6))

        renewal.refresh_from_db()
        assert early == 0
        assert settled == 1
        assert renewal.status == PaymentStatus.SUCCEEDED
        assert len(_captures(url, renewal)) == 1
        assert Payment.objects.filter(payer_id=first.payer_id).count() == 2
