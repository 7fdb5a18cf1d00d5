"""Checking a card through a checkout session: nothing is charged, the card is saved."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.models import StatusChange
from billing.money import Money
from payments.gateways.base import (
    Declined,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CardSetup,
    CardSetupStatus,
    CheckoutSessionStatus,
    Payment,
    PaymentMethod,
)
from payments.receivers import (
    enqueue_checkout_card_setup_sync,
)
from payments.services import (
    expire_checkout_sessions,
    expire_stale_payments,
    pay_checkout_session,
    sync_checkout_session_card_setup,
)
from tests.payments.checkout_sessions import (
    ACS_URL,
    NOW,
    PAYER,
    challenge,
    open_card_check,
    query_of,
    submit_card,
)
from tests.payments.factories import set_up_card

pytestmark = pytest.mark.django_db


class TestCardCheck:
    def test_verifies_and_saves_the_card_without_charging_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_card_check()

        response = submit_card(Client(), session, payload="sbx1:the-card")

        assert response.status_code == 302
        assert query_of(response["Location"]) == {
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
        session = open_card_check(purpose="subscription:7")

        submit_card(Client(), session)

        assert CardSetup.objects.get().purpose == "subscription:7"

    def test_a_third_refused_card_redirects_to_the_failure_url_with_the_reason(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The first two refused cards show the page again; the third ends it."""
        fake_gateway.script(
            "setup_card",
            *(Declined(reason_code="5051", message="No", hard=False) for _ in range(3)),
        )
        session = open_card_check()
        browser = Client()
        submit_card(browser, session)
        submit_card(browser, session)

        response = submit_card(browser, session)

        assert query_of(response["Location"]) == {
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
        session = open_card_check()
        submit_card(Client(), session)

        again = submit_card(Client(), session)

        assert again.status_code == 410
        assert len(fake_gateway.calls_to("setup_card")) == 1
        assert CardSetup.objects.count() == 1

    def test_cloudpayments_style_3ds_posts_to_the_acs_and_comes_back(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge())
        session = open_card_check()

        paying = Client()
        to_acs = submit_card(paying, session)
        # The same browser (its cookies), now checking CSRF as a real one does.
        browser = Client(enforce_csrf_checks=True)
        browser.cookies = paying.cookies
        back = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "pares"}
        )

        assert f'action="{ACS_URL}"' in to_acs.content.decode()
        assert query_of(back["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        [call] = fake_gateway.calls_to("complete_card_setup")
        assert call["authentication_result"] == "pares"

    def test_stripe_style_3ds_returns_with_the_setup_intent(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge(form_fields={}))
        session = open_card_check()

        browser = Client()
        sent = submit_card(browser, session)
        back = browser.get(
            f"/checkout/{session.id}/3ds", {"setup_intent": "fake_3ds_1"}
        )

        assert sent["Location"] == ACS_URL
        assert query_of(back["Location"])["status"] == "succeeded"
        assert CardSetup.objects.get().status == CardSetupStatus.SUCCEEDED

    def test_an_answer_for_another_setup_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge())
        session = open_card_check()
        browser = Client()
        submit_card(browser, session)

        response = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "someone_else", "PaRes": "pares"}
        )

        assert response.status_code == 400
        assert fake_gateway.calls_to("complete_card_setup") == []

    def test_a_replayed_answer_redirects_again_without_a_second_call(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge())
        session = open_card_check()
        browser = Client()
        submit_card(browser, session)
        answer = {"MD": "fake_3ds_1", "PaRes": "pares"}
        browser.post(f"/checkout/{session.id}/3ds", answer)

        replay = browser.post(f"/checkout/{session.id}/3ds", answer)

        assert query_of(replay["Location"])["status"] == "succeeded"
        assert len(fake_gateway.calls_to("complete_card_setup")) == 1

    def test_a_failed_authentication_redirects_to_the_failure_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge())
        fake_gateway.script(
            "complete_card_setup",
            Declined(reason_code="5206", message="Not authenticated", hard=False),
        )
        session = open_card_check()
        browser = Client()
        submit_card(browser, session)

        response = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "bad"}
        )

        assert query_of(response["Location"])["reason"] == "5206"


class TestCardCheckSettledLater:
    def test_an_abandoned_challenge_fails_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """Through the setup's signal, the receiver and the task, once it commits."""
        fake_gateway.script("setup_card", challenge())
        session = open_card_check(created_at=NOW)
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
        session = open_card_check()
        submit_card(Client(), session)
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
        session = open_card_check(created_at=NOW)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 1
        assert session.status == CheckoutSessionStatus.EXPIRED

    def test_one_waiting_for_3ds_follows_its_setup(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", challenge())
        session = open_card_check(created_at=NOW)
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
        fake_gateway.script("setup_card", challenge())
        session = open_card_check(created_at=NOW)
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
