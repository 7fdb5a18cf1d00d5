"""Hosted checkout: sessions that pay or check a card, the page, 3-D Secure and the
way back."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.models import StatusChange
from billing.money import Money
from payments.gateways import reset_gateways
from payments.gateways.base import (
    Declined,
    OutcomeUnknown,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from payments.receivers import (
    enqueue_checkout_card_setup_sync,
    enqueue_checkout_session_sync,
)
from payments.services import (
    CHECKOUT_SESSION_TTL,
    CheckoutSessionExpired,
    CheckoutSessionUsed,
    GatewayNotConfigured,
    InvalidCheckoutSession,
    create_checkout_session,
    expire_checkout_sessions,
    expire_stale_payments,
    pay_checkout_session,
    settle_unknown_payments,
    sync_checkout_session,
    sync_checkout_session_card_setup,
)
from tests.payments import staff
from tests.payments.factories import set_up_card

pytestmark = pytest.mark.django_db

PAYER = uuid.UUID("3f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")
SUCCESS_URL = "https://shop.example/thanks?order=42"
FAILURE_URL = "https://shop.example/sorry"
ACS_URL = "https://acs.example/3ds"
SESSIONS = "/api/v1/checkout-sessions/"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _session(
    *,
    gateway: str = "fake",
    created_at: dt.datetime | None = None,
    description: str = "Cinema, one month",
) -> CheckoutSession:
    return create_checkout_session(
        payer_id=PAYER,
        amount=Money(49_900, "RUB"),
        gateway=gateway,
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
        description=description,
        created_by="user:test",
        now=created_at or billing_now(),
    )


def _pay(client: Client, session: CheckoutSession, payload: str = "sbx1:card") -> Any:
    return client.post(f"/checkout/{session.id}/pay", {"card_payload": payload})


def _query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def _challenge(*, form_fields: dict[str, str] | None = None) -> RequiresAction:
    fields = {"PaReq": "pareq-value", "MD": "fake_3ds_1"}
    return RequiresAction(
        ThreeDsChallenge(
            gateway_reference="fake_3ds_1",
            url=ACS_URL,
            form_fields=fields if form_fields is None else form_fields,
        )
    )


@pytest.fixture
def support_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.support())
    return client


def _valid_input(**changes: object) -> dict[str, object]:
    return {
        "payer_id": str(PAYER),
        "amount_minor": 49_900,
        "currency": "RUB",
        "gateway": "cloudpayments",
        "description": "Cinema, one month",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        **changes,
    }


class TestCreateCheckoutSessionApi:
    def test_support_staff_open_a_session_and_get_its_page_url(
        self, support_api: APIClient
    ) -> None:
        response = support_api.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 201
        body = response.json()
        session = CheckoutSession.objects.get(id=body["id"])
        assert body["url"] == f"http://testserver/checkout/{session.id}/"
        assert body["status"] == "OPEN"
        assert session.expires_at - session.created_at == CHECKOUT_SESSION_TTL
        assert dt.datetime.fromisoformat(body["expires_at"]) == session.expires_at
        assert (session.amount_minor, session.currency) == (49_900, "RUB")
        assert session.created_by.startswith("user:")

    def test_a_script_with_an_api_token_may_open_a_session(self) -> None:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.member())}"
        )

        response = client.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 201

    @pytest.mark.parametrize("signed_in", [False, True])
    def test_others_are_refused(self, signed_in: bool) -> None:
        client = APIClient()
        if signed_in:
            client.force_authenticate(staff.member())

        response = client.post(SESSIONS, _valid_input(), format="json")

        assert response.status_code == 403
        assert set(response.json()) == {"code", "message", "extra"}

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"amount_minor": 0}, "amount_minor"),
            ({"amount_minor": -100}, "amount_minor"),
            ({"amount_minor": 12.5}, "amount_minor"),
            ({"amount_minor": "12.50"}, "amount_minor"),
            ({"amount_minor": True}, "amount_minor"),
            ({"amount_minor": 2**63}, "amount_minor"),
            ({"currency": "XYZ"}, "currency"),
            ({"currency": "rub"}, "currency"),
            ({"payer_id": "somebody"}, "payer_id"),
            ({"gateway": "fake"}, "gateway"),
            ({"gateway": "paypal"}, "gateway"),
            ({"success_url": "javascript:alert(1)"}, "success_url"),
            ({"success_url": "ftp://shop.example/ok"}, "success_url"),
            ({"failure_url": "/relative/path"}, "failure_url"),
            ({"description": "x" * 201}, "description"),
        ],
    )
    def test_refuses_bad_input_with_a_400(
        self, support_api: APIClient, changes: dict[str, object], field: str
    ) -> None:
        response = support_api.post(SESSIONS, _valid_input(**changes), format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert list(response.json()["extra"]["fields"]) == [field]
        assert not CheckoutSession.objects.exists()

    def test_shows_a_session_with_its_payment(
        self, support_api: APIClient, fake_gateway: FakeGateway
    ) -> None:
        session = _session()
        _pay(Client(), session)

        response = support_api.get(f"{SESSIONS}{session.id}/")

        body = response.json()
        assert body["status"] == "COMPLETED"
        assert body["payment_status"] == "SUCCEEDED"
        assert body["amount"] == "499.00 RUB"

    def test_an_unused_session_past_its_expiry_reads_expired(
        self, support_api: APIClient
    ) -> None:
        session = _session(created_at=billing_now() - dt.timedelta(hours=1))

        response = support_api.get(f"{SESSIONS}{session.id}/")

        assert response.json()["status"] == "EXPIRED"

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            (f"{SESSIONS}{uuid.uuid4()}/", 404, "checkout_session_not_found"),
            (f"{SESSIONS}not-an-id/", 400, "validation_error"),
        ],
    )
    def test_unknown_and_malformed_ids(
        self, support_api: APIClient, path: str, status: int, code: str
    ) -> None:
        response = support_api.get(path)

        assert response.status_code == status
        assert response.json()["code"] == code


class TestCreateCheckoutSession:
    @pytest.mark.parametrize(
        "changes",
        [
            {"amount": Money(0, "RUB")},
            {"gateway": "paypal"},
            {"success_url": "javascript:alert(1)"},
            {"expires_in": dt.timedelta(0)},
        ],
    )
    def test_refuses_what_cannot_be_paid(self, changes: dict[str, Any]) -> None:
        arguments: dict[str, Any] = {
            "payer_id": PAYER,
            "amount": Money(100, "RUB"),
            "gateway": "fake",
            "success_url": SUCCESS_URL,
            "failure_url": FAILURE_URL,
            "created_by": "user:test",
            "now": billing_now(),
            **changes,
        }

        with pytest.raises(InvalidCheckoutSession):
            create_checkout_session(**arguments)


class TestCheckoutPage:
    def test_shows_the_amount_description_and_the_card_widget(
        self, settings: Settings
    ) -> None:
        settings.SANDBOX_URL = "http://127.0.0.1:8100"
        session = _session(gateway="cloudpayments")

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "499.00 RUB" in html
        assert "Cinema, one month" in html
        assert (
            'src="http://127.0.0.1:8100/__sandbox/checkout?gateway=cloudpayments"'
            in html
        )
        assert '"widgetOrigin": "http://127.0.0.1:8100"' in html
        assert "sandbox-card" in html
        assert "csrfmiddlewaretoken" in html
        assert response.cookies["csrftoken"].value
        assert "no-store" in response["Cache-Control"]

    def test_escapes_the_description(self) -> None:
        session = _session(description="<script>alert('x')</script>")

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert "<script>alert('x')</script>" not in html
        assert "&lt;script&gt;" in html

    @pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-session"])
    def test_an_unknown_session_is_a_404_page(self, session_id: str) -> None:
        response = Client().get(f"/checkout/{session_id}/")

        assert response.status_code == 404
        assert "Checkout not found" in response.content.decode()

    def test_an_expired_session_is_a_410_page(self) -> None:
        session = _session(created_at=billing_now() - dt.timedelta(minutes=31))

        response = Client().get(f"/checkout/{session.id}/")

        assert response.status_code == 410
        assert "expired" in response.content.decode()

    def test_a_used_session_is_a_410_page(self, fake_gateway: FakeGateway) -> None:
        session = _session()
        _pay(Client(), session)

        response = Client().get(f"/checkout/{session.id}/")

        assert response.status_code == 410
        assert "already been used" in response.content.decode()


class TestPay:
    def test_success_redirects_to_the_success_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session()

        response = _pay(Client(), session)

        assert response.status_code == 302
        assert response["Location"].startswith("https://shop.example/thanks?")
        assert _query(response["Location"]) == {
            "order": "42",
            "checkout": str(session.id),
            "status": "succeeded",
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.completed_at is not None
        payment = Payment.objects.get(pays=f"checkout:{session.id}")
        assert session.payment_id == payment.id
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.kind == PaymentKind.INITIAL
        assert payment.pays == f"checkout:{session.id}"
        assert payment.payer_id == PAYER

    def test_charges_the_sessions_amount_with_the_widgets_payload(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session()

        _pay(Client(), session, payload="sbx1:the-card")

        [call] = fake_gateway.calls_to("charge")
        request = call["request"]
        assert request.amount == Money(49_900, "RUB")
        assert request.source.payload == "sbx1:the-card"
        assert request.return_url == f"http://testserver/checkout/{session.id}/3ds"

    def test_a_decline_redirects_to_the_failure_url_with_the_reason(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        session = _session()

        response = _pay(Client(), session)

        assert response.status_code == 302
        assert response["Location"].startswith(FAILURE_URL)
        assert _query(response["Location"]) == {
            "checkout": str(session.id),
            "status": "failed",
            "reason": "5051",
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.FAILED

    def test_a_session_pays_once(self, fake_gateway: FakeGateway) -> None:
        session = _session()
        _pay(Client(), session)

        again = _pay(Client(), session)

        assert again.status_code == 410
        assert "already been used" in again.content.decode()
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_a_second_claim_is_refused_by_the_service(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        session = _session()
        arguments: dict[str, Any] = {
            "session_id": session.id,
            "card_payload": "sbx1:card",
            "ip_address": "127.0.0.1",
            "return_url": "https://billing.example/3ds",
            "now": billing_now(),
        }
        pay_checkout_session(**arguments)

        with pytest.raises(CheckoutSessionUsed):
            pay_checkout_session(**arguments)

    def test_an_expired_session_is_refused_and_marked_expired(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session(created_at=billing_now() - dt.timedelta(minutes=31))

        response = _pay(Client(), session)

        assert response.status_code == 410
        assert fake_gateway.calls_to("charge") == []
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert StatusChange.objects.filter(
            object_type="checkout_session", to_status="EXPIRED"
        ).exists()

    def test_the_service_refuses_an_expired_session(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session()

        with pytest.raises(CheckoutSessionExpired):
            pay_checkout_session(
                session_id=session.id,
                card_payload="sbx1:card",
                ip_address=None,
                return_url="https://billing.example/3ds",
                now=session.expires_at,
            )

    def test_a_missing_card_payload_is_a_400_page(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session()

        response = Client().post(f"/checkout/{session.id}/pay", {})

        assert response.status_code == 400
        assert fake_gateway.calls_to("charge") == []

    def test_the_form_post_needs_the_csrf_token(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session()
        client = Client(enforce_csrf_checks=True)

        refused = _pay(client, session)
        client.get(f"/checkout/{session.id}/")
        token = client.cookies["csrftoken"].value
        accepted = client.post(
            f"/checkout/{session.id}/pay",
            {"card_payload": "sbx1:card", "csrfmiddlewaretoken": token},
        )

        assert refused.status_code == 403
        assert accepted.status_code == 302

    def test_a_failure_before_any_payment_gives_the_session_back(
        self, fake_gateway: FakeGateway, settings: Settings
    ) -> None:
        session = _session()
        settings.PAYMENT_GATEWAYS = {}
        reset_gateways()

        with pytest.raises(GatewayNotConfigured):
            pay_checkout_session(
                session_id=session.id,
                card_payload="sbx1:card",
                ip_address=None,
                return_url="https://billing.example/3ds",
                now=billing_now(),
            )

        session.refresh_from_db()
        assert session.claimed_at is None
        assert session.status == CheckoutSessionStatus.OPEN

    def test_an_unknown_outcome_shows_a_waiting_page(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        session = _session()

        response = _pay(Client(), session)

        assert response.status_code == 202
        assert "Do not pay again" in response.content.decode()
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN


class TestThreeDs:
    def test_cloudpayments_style_challenge_auto_posts_to_the_acs(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        session = _session()

        response = _pay(Client(), session)

        html = response.content.decode()
        assert response.status_code == 200
        assert f'action="{ACS_URL}"' in html
        assert '<input type="hidden" name="PaReq" value="pareq-value">' in html
        assert '<input type="hidden" name="MD" value="fake_3ds_1">' in html
        term_url = f"http://testserver/checkout/{session.id}/3ds"
        assert f'<input type="hidden" name="TermUrl" value="{term_url}">' in html
        assert ".submit()" in html
        assert "csrfmiddlewaretoken" not in html

    def test_the_acs_posting_back_finishes_the_payment(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        session = _session()
        _pay(Client(), session)

        response = Client(enforce_csrf_checks=True).post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "pares"}
        )

        assert response.status_code == 302
        assert _query(response["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert fake_gateway.calls_to("complete_3ds") == [
            {"gateway_reference": "fake_3ds_1"}
        ]

    def test_stripe_style_challenge_redirects_and_returns_by_get(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge(form_fields={}))
        session = _session()

        sent = _pay(Client(), session)
        back = Client().get(
            f"/checkout/{session.id}/3ds", {"payment_intent": "fake_3ds_1"}
        )

        assert sent.status_code == 302
        assert sent["Location"] == ACS_URL
        assert back.status_code == 302
        assert back["Location"].startswith("https://shop.example/thanks?")

    def test_a_failed_authentication_redirects_to_the_failure_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        fake_gateway.script(
            "complete_3ds",
            Declined(reason_code="5206", message="Not authenticated", hard=False),
        )
        session = _session()
        _pay(Client(), session)

        response = Client().post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "bad"}
        )

        assert response["Location"].startswith(FAILURE_URL)
        assert _query(response["Location"])["reason"] == "5206"

    def test_an_answer_for_another_payment_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        session = _session()
        _pay(Client(), session)

        response = Client().post(
            f"/checkout/{session.id}/3ds", {"MD": "someone_else", "PaRes": "pares"}
        )

        assert response.status_code == 400
        assert fake_gateway.calls_to("complete_3ds") == []
        payment = Payment.objects.get(pays=f"checkout:{session.id}")
        assert payment.status == PaymentStatus.REQUIRES_ACTION

    def test_a_replayed_answer_redirects_again_without_a_second_call(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _challenge())
        session = _session()
        _pay(Client(), session)
        answer = {"MD": "fake_3ds_1", "PaRes": "pares"}
        Client().post(f"/checkout/{session.id}/3ds", answer)

        replay = Client().post(f"/checkout/{session.id}/3ds", answer)

        assert replay.status_code == 302
        assert _query(replay["Location"])["status"] == "succeeded"
        assert len(fake_gateway.calls_to("complete_3ds")) == 1

    @pytest.mark.parametrize(
        ("answer", "status"),
        [({}, 400), ({"MD": "fake_3ds_1"}, 400)],
    )
    def test_a_return_without_a_pending_payment_is_refused(
        self, fake_gateway: FakeGateway, answer: dict[str, str], status: int
    ) -> None:
        session = _session()

        response = Client().post(f"/checkout/{session.id}/3ds", answer)

        assert response.status_code == status

    def test_an_unknown_session_is_a_404_page(self) -> None:
        response = Client().get(
            f"/checkout/{uuid.uuid4()}/3ds", {"payment_intent": "pi_1"}
        )

        assert response.status_code == 404
        assert re.search(r"<h1>Checkout not found</h1>", response.content.decode())


def _pay_unknown(fake_gateway: FakeGateway, session: CheckoutSession) -> Payment:
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


class TestSyncCheckoutSession:
    def test_a_payment_the_janitor_settles_completes_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """Through the signal, its receiver and the task, once the payment commits."""
        session = _session(created_at=NOW)
        _pay_unknown(fake_gateway, session)

        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_failed_payment_fails_its_session_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Repeating the sync changes nothing and audits the move once."""
        session = _session(created_at=NOW)
        payment = _pay_unknown(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        first = sync_checkout_session(payment_id=payment.id, now=NOW)
        second = sync_checkout_session(payment_id=payment.id, now=NOW)

        assert first is not None and second is not None
        assert first.status == second.status == CheckoutSessionStatus.FAILED
        assert (
            StatusChange.objects.filter(
                object_type="checkout_session", object_id=str(session.id)
            ).count()
            == 1
        )

    def test_a_session_waits_while_its_payment_is_open(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session(created_at=NOW)
        payment = _pay_unknown(fake_gateway, session)

        synced = sync_checkout_session(payment_id=payment.id, now=NOW)

        assert synced is not None
        assert synced.status == CheckoutSessionStatus.OPEN

    @pytest.mark.parametrize(
        ("pays", "enqueued"), [("checkout:" + str(PAYER), 1), ("invoice:7", 0)]
    )
    def test_only_checkout_payments_are_enqueued(
        self,
        pays: str,
        enqueued: int,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        with django_capture_on_commit_callbacks() as callbacks:
            enqueue_checkout_session_sync(
                sender=Payment,
                payment_id=uuid.uuid4(),
                pays=pays,
                from_status=PaymentStatus.UNKNOWN,
                to_status=PaymentStatus.SUCCEEDED,
            )

        assert len(callbacks) == enqueued


class TestExpireCheckoutSessions:
    def test_an_unused_session_expires_at_its_expiry_and_not_before(self) -> None:
        session = _session(created_at=NOW)

        early = expire_checkout_sessions(now=session.expires_at - dt.timedelta(0, 1))
        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert (early, expired) == (0, 1)
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert StatusChange.objects.filter(
            object_id=str(session.id), to_status="EXPIRED"
        ).exists()

    def test_a_session_whose_payment_failed_expires(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session(created_at=NOW)
        payment = _pay_unknown(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 1
        assert session.status == CheckoutSessionStatus.EXPIRED

    def test_a_session_whose_payment_is_open_follows_its_payment(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _session(created_at=NOW)
        _pay_unknown(fake_gateway, session)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 0
        assert session.status == CheckoutSessionStatus.OPEN

    def test_a_session_claimed_moments_ago_is_left_to_its_request(self) -> None:
        """A claim without a payment row yet is a pay request still in flight."""
        session = _session(created_at=NOW)
        CheckoutSession.objects.filter(id=session.id).update(
            claimed_at=session.expires_at - dt.timedelta(seconds=1)
        )

        in_flight = expire_checkout_sessions(now=session.expires_at)
        abandoned = expire_checkout_sessions(
            now=session.expires_at + dt.timedelta(minutes=15)
        )

        assert (in_flight, abandoned) == (0, 1)


def _card_check(
    *, created_at: dt.datetime | None = None, purpose: str = ""
) -> CheckoutSession:
    """A session that verifies and saves a card, charging nothing."""
    return create_checkout_session(
        payer_id=PAYER,
        amount=Money(100, "RUB"),
        gateway="fake",
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
        description="Cinema: the trial ends on 7 December 2026",
        created_by="user:test",
        now=created_at or billing_now(),
        mode=CheckoutSessionMode.CARD_SETUP,
        setup_purpose=purpose,
    )


def _paying(pays: str, *, created_at: dt.datetime | None = None) -> CheckoutSession:
    """A session whose payment pays `pays`, not the session itself."""
    return create_checkout_session(
        payer_id=PAYER,
        amount=Money(49_900, "RUB"),
        gateway="fake",
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
        description="Order 42",
        created_by="user:test",
        now=created_at or billing_now(),
        pays=pays,
    )


class TestCheckoutModes:
    @pytest.mark.parametrize(
        "changes",
        [
            {"mode": CheckoutSessionMode.CARD_SETUP, "pays": "order:1"},
            {"mode": CheckoutSessionMode.PAYMENT, "setup_purpose": "subscription:1"},
            {"mode": "REFUND"},
        ],
    )
    def test_a_reference_belongs_to_its_own_mode(self, changes: dict[str, Any]) -> None:
        with pytest.raises(InvalidCheckoutSession):
            create_checkout_session(
                payer_id=PAYER,
                amount=Money(100, "RUB"),
                gateway="fake",
                success_url=SUCCESS_URL,
                failure_url=FAILURE_URL,
                created_by="user:test",
                now=billing_now(),
                **changes,
            )

        assert not CheckoutSession.objects.exists()

    @pytest.mark.parametrize(
        "open_again",
        [
            lambda: _paying("order:42"),
            lambda: _card_check(purpose="subscription:42"),
        ],
    )
    def test_what_a_session_is_for_has_one_session(self, open_again: Any) -> None:
        open_again()

        with pytest.raises(InvalidCheckoutSession):
            open_again()

        assert CheckoutSession.objects.count() == 1

    def test_the_database_keeps_each_mode_to_its_own_attempt(
        self, fake_gateway: FakeGateway
    ) -> None:
        paid = _session()
        _pay(Client(), paid)
        check = _card_check()
        paid.refresh_from_db()

        with pytest.raises(IntegrityError), transaction.atomic():
            CheckoutSession.objects.filter(id=check.id).update(payment=paid.payment)


class TestCardCheckPage:
    def test_says_nothing_is_charged_and_shows_what_for(
        self, settings: Settings
    ) -> None:
        settings.SANDBOX_URL = "http://127.0.0.1:8100"
        session = _card_check()

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Card check</title>" in html
        assert "Nothing is charged now" in html
        assert "A card check" in html
        assert "the trial ends on 7 December 2026" in html
        assert "1.00 RUB" not in html
        assert '"cardCheck": true' in html
        assert 'src="http://127.0.0.1:8100/__sandbox/checkout"' in html
        assert "csrfmiddlewaretoken" in html

    def test_a_payment_page_says_what_it_charges(self) -> None:
        session = _session()

        html = Client().get(f"/checkout/{session.id}/").content.decode()

        assert "<title>Pay 499.00 RUB</title>" in html
        assert "Nothing is charged" not in html
        assert '"cardCheck": false' in html


class TestCardCheck:
    def test_verifies_and_saves_the_card_without_charging_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _card_check()

        response = _pay(Client(), session, payload="sbx1:the-card")

        assert response.status_code == 302
        assert _query(response["Location"]) == {
            "order": "42",
            "checkout": str(session.id),
            "status": "succeeded",
        }
        assert fake_gateway.calls_to("charge") == []
        [call] = fake_gateway.calls_to("setup_card")
        assert call["request"].verification_amount == Money(100, "RUB")
        assert call["request"].card.payload == "sbx1:the-card"
        assert call["request"].return_url == (
            f"http://testserver/checkout/{session.id}/3ds"
        )
        session.refresh_from_db()
        setup = CardSetup.objects.get()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert (session.card_setup_id, session.payment_id) == (setup.id, None)
        assert setup.status == CardSetupStatus.SUCCEEDED
        assert setup.purpose == f"checkout:{session.id}"
        assert PaymentMethod.objects.get(payer_id=PAYER).is_default
        assert not Payment.objects.exists()

    def test_the_setup_is_for_what_the_session_was_opened_for(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _card_check(purpose="subscription:7")

        _pay(Client(), session)

        assert CardSetup.objects.get().purpose == "subscription:7"

    def test_a_refused_card_redirects_to_the_failure_url_with_the_reason(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "setup_card", Declined(reason_code="5051", message="No", hard=False)
        )
        session = _card_check()

        response = _pay(Client(), session)

        assert _query(response["Location"]) == {
            "checkout": str(session.id),
            "status": "failed",
            "reason": "5051",
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.FAILED
        assert not PaymentMethod.objects.exists()

    def test_a_double_submit_checks_the_card_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _card_check()
        _pay(Client(), session)

        again = _pay(Client(), session)

        assert again.status_code == 410
        assert len(fake_gateway.calls_to("setup_card")) == 1
        assert CardSetup.objects.count() == 1

    def test_a_failure_before_any_setup_gives_the_session_back(
        self, fake_gateway: FakeGateway, settings: Settings
    ) -> None:
        session = _card_check()
        settings.PAYMENT_GATEWAYS = {}
        reset_gateways()

        with pytest.raises(GatewayNotConfigured):
            pay_checkout_session(
                session_id=session.id,
                card_payload="sbx1:card",
                ip_address=None,
                return_url="https://billing.example/3ds",
                now=billing_now(),
            )

        session.refresh_from_db()
        assert session.claimed_at is None

    def test_cloudpayments_style_3ds_posts_to_the_acs_and_comes_back(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        session = _card_check()

        to_acs = _pay(Client(), session)
        back = Client(enforce_csrf_checks=True).post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "pares"}
        )

        assert f'action="{ACS_URL}"' in to_acs.content.decode()
        assert _query(back["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        [call] = fake_gateway.calls_to("complete_card_setup")
        assert call["authentication_result"] == "pares"

    def test_stripe_style_3ds_returns_with_the_setup_intent(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge(form_fields={}))
        session = _card_check()

        sent = _pay(Client(), session)
        back = Client().get(
            f"/checkout/{session.id}/3ds", {"setup_intent": "fake_3ds_1"}
        )

        assert sent["Location"] == ACS_URL
        assert _query(back["Location"])["status"] == "succeeded"
        assert CardSetup.objects.get().status == CardSetupStatus.SUCCEEDED

    def test_an_answer_for_another_setup_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        session = _card_check()
        _pay(Client(), session)

        response = Client().post(
            f"/checkout/{session.id}/3ds", {"MD": "someone_else", "PaRes": "pares"}
        )

        assert response.status_code == 400
        assert fake_gateway.calls_to("complete_card_setup") == []

    def test_a_replayed_answer_redirects_again_without_a_second_call(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        session = _card_check()
        _pay(Client(), session)
        answer = {"MD": "fake_3ds_1", "PaRes": "pares"}
        Client().post(f"/checkout/{session.id}/3ds", answer)

        replay = Client().post(f"/checkout/{session.id}/3ds", answer)

        assert _query(replay["Location"])["status"] == "succeeded"
        assert len(fake_gateway.calls_to("complete_card_setup")) == 1

    def test_a_failed_authentication_redirects_to_the_failure_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        fake_gateway.script(
            "complete_card_setup",
            Declined(reason_code="5206", message="Not authenticated", hard=False),
        )
        session = _card_check()
        _pay(Client(), session)

        response = Client().post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "bad"}
        )

        assert _query(response["Location"])["reason"] == "5206"


class TestCardCheckSettledLater:
    def test_an_abandoned_challenge_fails_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """Through the setup's signal, the receiver and the task, once it commits."""
        fake_gateway.script("setup_card", _challenge())
        session = _card_check(created_at=NOW)
        pay_checkout_session(
            session_id=session.id,
            card_payload="sbx1:card",
            ip_address=None,
            return_url="https://billing.example/3ds",
            now=NOW,
        )

        with django_capture_on_commit_callbacks(execute=True):
            expire_stale_payments(now=NOW + dt.timedelta(hours=2))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.FAILED
        assert CardSetup.objects.get().failure_code == "verification_abandoned"

    def test_a_sync_is_safe_to_repeat_and_ignores_other_setups(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _card_check()
        _pay(Client(), session)
        setup = CardSetup.objects.get()
        other = set_up_card()

        again = sync_checkout_session_card_setup(setup_id=setup.id, now=NOW)
        unrelated = sync_checkout_session_card_setup(setup_id=other.id, now=NOW)

        assert again is not None and again.status == CheckoutSessionStatus.COMPLETED
        assert unrelated is None
        assert (
            StatusChange.objects.filter(
                object_type="checkout_session", object_id=str(session.id)
            ).count()
            == 1
        )

    @pytest.mark.parametrize(
        ("purpose", "to_status", "enqueued"),
        [
            ("subscription:7", CardSetupStatus.SUCCEEDED, 1),
            ("checkout:7", CardSetupStatus.FAILED, 1),
            ("checkout:7", CardSetupStatus.REQUIRES_ACTION, 0),
            ("", CardSetupStatus.SUCCEEDED, 0),
        ],
    )
    def test_finished_setups_with_a_purpose_are_enqueued(
        self,
        purpose: str,
        to_status: str,
        enqueued: int,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        with django_capture_on_commit_callbacks() as callbacks:
            enqueue_checkout_card_setup_sync(
                sender=CardSetup,
                setup_id=uuid.uuid4(),
                purpose=purpose,
                from_status=CardSetupStatus.PENDING,
                to_status=to_status,
            )

        assert len(callbacks) == enqueued


class TestCardCheckExpiry:
    def test_an_unused_card_check_expires(self) -> None:
        session = _card_check(created_at=NOW)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 1
        assert session.status == CheckoutSessionStatus.EXPIRED

    def test_one_waiting_for_3ds_follows_its_setup(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        session = _card_check(created_at=NOW)
        pay_checkout_session(
            session_id=session.id,
            card_payload="sbx1:card",
            ip_address=None,
            return_url="https://billing.example/3ds",
            now=NOW,
        )

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 0
        assert session.status == CheckoutSessionStatus.OPEN

    def test_one_whose_setup_failed_unseen_expires(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", _challenge())
        session = _card_check(created_at=NOW)
        pay_checkout_session(
            session_id=session.id,
            card_payload="sbx1:card",
            ip_address=None,
            return_url="https://billing.example/3ds",
            now=NOW,
        )
        CardSetup.objects.update(status=CardSetupStatus.FAILED)

        expired = expire_checkout_sessions(now=session.expires_at)

        assert expired == 1


class TestPayingSomethingElse:
    def test_the_payment_pays_what_the_session_was_opened_for(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _paying("order:42")

        response = _pay(Client(), session)

        assert _query(response["Location"])["status"] == "succeeded"
        payment = Payment.objects.get()
        assert payment.pays == "order:42"
        assert payment.kind == PaymentKind.INITIAL
        session.refresh_from_db()
        assert session.payment_id == payment.id
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_payment_settled_later_completes_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        session = _paying("order:42", created_at=NOW)
        _pay_unknown(fake_gateway, session)

        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_sync_leaves_other_sessions_alone(
        self, fake_gateway: FakeGateway
    ) -> None:
        mine = _paying("order:42", created_at=NOW)
        other = _paying("order:43", created_at=NOW)
        payment = _pay_unknown(fake_gateway, mine)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.SUCCEEDED)

        synced = sync_checkout_session(payment_id=payment.id, now=NOW)

        other.refresh_from_db()
        assert synced is not None and synced.id == mine.id
        assert synced.status == CheckoutSessionStatus.COMPLETED
        assert other.status == CheckoutSessionStatus.OPEN
        assert other.payment_id is None

    def test_a_session_whose_payment_failed_expires(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = _paying("order:42", created_at=NOW)
        payment = _pay_unknown(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        expired = expire_checkout_sessions(now=session.expires_at)

        assert expired == 1

    @pytest.mark.parametrize(
        ("kind", "to_status", "enqueued"),
        [
            (PaymentKind.INITIAL, PaymentStatus.SUCCEEDED, 1),
            (PaymentKind.INITIAL, PaymentStatus.FAILED, 1),
            (PaymentKind.INITIAL, PaymentStatus.REQUIRES_ACTION, 0),
            (PaymentKind.RECURRING, PaymentStatus.SUCCEEDED, 0),
            (PaymentKind.ONE_OFF, PaymentStatus.FAILED, 0),
        ],
    )
    def test_only_first_payments_of_other_objects_are_enqueued_when_settled(
        self,
        kind: str,
        to_status: str,
        enqueued: int,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """A renewal's payment is never a checkout's: it gets no task."""
        with django_capture_on_commit_callbacks() as callbacks:
            enqueue_checkout_session_sync(
                sender=Payment,
                payment_id=uuid.uuid4(),
                pays="invoice:7",
                kind=kind,
                from_status=PaymentStatus.PENDING,
                to_status=to_status,
            )

        assert len(callbacks) == enqueued

    def test_the_api_shows_the_mode_and_what_is_paid(
        self, support_api: APIClient
    ) -> None:
        session = _paying("order:42")

        body = support_api.get(f"{SESSIONS}{session.id}/").json()

        assert body["mode"] == "PAYMENT"
        assert body["pays"] == "order:42"
        assert body["setup_purpose"] == ""
        assert body["card_setup_id"] is None
        assert body["card_setup_status"] is None
