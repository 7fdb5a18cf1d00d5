"""The refund desk in the admin: a payment's Refund page asks, confirms what will
happen, then refunds or files a request; a second accounting user decides on it."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from billing.models import StatusChange
from payments.gateways.fake import FakeGateway
from payments.models import Payment, Refund, RefundRequest, RefundRequestStatus
from tests.payments import staff
from tests.payments.factories import RefundRequestFactory, pay_by_card
from tests.subscriptions.admin_pages import flashed, page_text, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

REQUESTS = "/admin/payments/refundrequest/"


@pytest.fixture(autouse=True)
def _thresholds(settings: Settings) -> None:
    """The payments here are 999.00 RUB: 500.00 RUB and up take an approver."""
    settings.REFUND_APPROVAL_THRESHOLDS = {"RUB": 50_000}


def _refund_page(payment: Payment) -> str:
    return f"/admin/payments/payment/{payment.id}/refund/"


def _fill(amount: str) -> dict[str, str]:
    return {"amount": amount, "reason": "DUPLICATE", "note": "Charged twice."}


class TestThePaymentRefundPage:
    def test_the_payment_page_links_to_it_for_accounting_only(self) -> None:
        payment = pay_by_card()
        page = f"/admin/payments/payment/{payment.id}/change/"

        shown = signed_in(staff.accounting()).get(page)
        hidden = signed_in(staff.support()).get(page)

        assert _refund_page(payment) in page_text(shown)
        assert _refund_page(payment) not in page_text(hidden)

    def test_the_form_offers_what_is_left(self) -> None:
        payment = pay_by_card()

        page = signed_in(staff.accounting()).get(_refund_page(payment))

        assert 'value="999.00"' in page_text(page)

    def test_below_the_threshold_it_confirms_then_refunds_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        client = signed_in(staff.accounting())

        asked = client.post(_refund_page(payment), _fill("100.00"))
        done = client.post(
            _refund_page(payment), {**_fill("100.00"), "confirmed": "yes"}, follow=True
        )

        assert "100.00 RUB will be refunded to the payer now" in page_text(asked)
        assert len(fake_gateway.calls_to("refund")) == 1
        assert Refund.objects.get().amount_minor == 10_000
        assert "SUCCEEDED" in flashed(done)[0][1]

    def test_at_the_threshold_it_says_a_request_is_filed(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        client = signed_in(staff.accounting())

        asked = client.post(_refund_page(payment), _fill("500"))
        client.post(_refund_page(payment), {**_fill("500"), "confirmed": "yes"})

        assert "A refund request for 500.00 RUB will be filed" in page_text(asked)
        assert RefundRequest.objects.get().status == RefundRequestStatus.PENDING
        assert fake_gateway.calls_to("refund") == []

    @pytest.mark.parametrize("amount", ["0", "-1", "999.01", "ten", "1.001"])
    def test_a_bad_amount_is_asked_again_and_nothing_is_done(self, amount: str) -> None:
        payment = pay_by_card()

        again = signed_in(staff.accounting()).post(
            _refund_page(payment), {**_fill(amount), "confirmed": "yes"}
        )

        assert again.status_code == 200
        assert "errorlist" in page_text(again)
        assert not Refund.objects.exists()
        assert not RefundRequest.objects.exists()

    def test_support_is_refused(self) -> None:
        payment = pay_by_card()

        refused = signed_in(staff.support()).post(
            _refund_page(payment), {**_fill("1"), "confirmed": "yes"}
        )

        assert refused.status_code == 403
        assert not Refund.objects.exists()


class TestTheRefundRequestAdmin:
    def test_lists_filters_and_searches_requests_for_support(self) -> None:
        request = RefundRequestFactory.create()
        client = signed_in(staff.support())

        listed = client.get(REQUESTS, {"status__exact": "PENDING"})
        found = client.get(REQUESTS, {"q": str(request.payment.payer_id)})
        none = client.get(REQUESTS, {"currency__exact": "USD"})

        assert str(request.id) in page_text(listed)
        assert str(request.id) in page_text(found)
        assert str(request.id) not in page_text(none)

    def test_the_page_shows_the_audit_trail_and_offers_no_decision_to_support(
        self,
    ) -> None:
        request = RefundRequestFactory.create()

        page = signed_in(staff.support()).get(f"{REQUESTS}{request.id}/change/")

        assert page.status_code == 200
        assert "PENDING" in page_text(page)
        assert f"{REQUESTS}{request.id}/approve/" not in page_text(page)

    def test_a_second_accounting_user_approves_and_the_refund_runs_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        request = RefundRequestFactory.create()
        client = signed_in(staff.accounting())

        asked = client.get(f"{REQUESTS}{request.id}/approve/")
        client.post(f"{REQUESTS}{request.id}/approve/", {"note": "Checked."})
        client.post(f"{REQUESTS}{request.id}/approve/", {"note": "Again."})

        assert "999.00 RUB of payment" in page_text(asked)
        request.refresh_from_db()
        assert request.status == RefundRequestStatus.EXECUTED
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_the_requester_cannot_approve_their_own(
        self, fake_gateway: FakeGateway
    ) -> None:
        accountant = staff.accounting()
        request = RefundRequestFactory.create(user=accountant)

        client = signed_in(accountant)
        page = client.get(f"{REQUESTS}{request.id}/change/")
        refused = client.post(f"{REQUESTS}{request.id}/approve/", {}, follow=True)

        assert "Approve and refund" not in page_text(page)
        assert "only another accounting user decides" in page_text(refused)
        request.refresh_from_db()
        assert request.status == RefundRequestStatus.PENDING
        assert fake_gateway.calls_to("refund") == []

    def test_a_decided_request_offers_no_second_decision(self) -> None:
        request = RefundRequestFactory.create()
        client = signed_in(staff.accounting())
        client.post(f"{REQUESTS}{request.id}/reject/", {"note": "Used in full."})

        again = client.get(f"{REQUESTS}{request.id}/approve/", follow=True)

        assert "is rejected: only another accounting user decides" in page_text(again)
        assert "will be refunded" not in page_text(again)

    def test_a_rejection_needs_a_note(self) -> None:
        request = RefundRequestFactory.create()
        client = signed_in(staff.accounting())

        asked = client.post(f"{REQUESTS}{request.id}/reject/", {"note": ""})
        client.post(f"{REQUESTS}{request.id}/reject/", {"note": "Used in full."})

        assert "This field is required" in page_text(asked)
        request.refresh_from_db()
        assert request.status == RefundRequestStatus.REJECTED
        assert StatusChange.objects.filter(
            object_type="refund_request", to_status="REJECTED", reason="Used in full."
        ).exists()

    def test_support_cannot_decide(self) -> None:
        request = RefundRequestFactory.create()

        refused = signed_in(staff.support()).post(
            f"{REQUESTS}{request.id}/approve/", {}
        )

        assert refused.status_code == 403
        request.refresh_from_db()
        assert request.status == RefundRequestStatus.PENDING
