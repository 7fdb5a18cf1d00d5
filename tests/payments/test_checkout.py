"""Hosted checkout: sessions, the payment page, 3-D Secure and the way back."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import uuid
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.models import StatusChange
from billing.money import Money
from payments.gateways import UnknownGateway, reset_gateways
from payments.gateways.base import (
    Declined,
    OutcomeUnknown,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.receivers import enqueue_checkout_session_sync
from payments.services import (
    CHECKOUT_SESSION_TTL,
    CheckoutSessionExpired,
    CheckoutSessionUsed,
    InvalidCheckoutSession,
    create_checkout_session,
    expire_checkout_sessions,
    pay_checkout_session,
    settle_unknown_payments,
    sync_checkout_session,
)
from tests.payments import staff

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

        with pytest.raises(UnknownGateway):
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
