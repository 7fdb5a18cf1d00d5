"""The refund desk's services: refund now below the threshold, else a request that a
second accounting user approves (the refund then runs once) or rejects."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from pytest_django.fixtures import Settings

from accounts.models import User
from billing.errors import InvalidStatusTransition
from billing.models import BillingEvent, StatusChange
from billing.money import CurrencyMismatch, Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment, RefundRequest, RefundRequestStatus
from payments.services import (
    DecisionNoteRequired,
    OwnRefundRequest,
    RefundDeskForbidden,
    RefundDeskOutcome,
    RefundExceedsCaptured,
    RefundRequestOpen,
    approve_refund_request,
    refund_or_request,
    reject_refund_request,
)
from tests.payments import staff
from tests.payments.factories import NOW, RefundRequestFactory, pay_by_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

# The payments of these tests are 999.00 RUB: 500.00 RUB and up take a second approver.
THRESHOLDS = {"RUB": 50_000}


@pytest.fixture(autouse=True)
def _thresholds(settings: Settings) -> None:
    settings.REFUND_APPROVAL_THRESHOLDS = THRESHOLDS


def _desk(payment: Payment, amount: Money | None, user: User) -> RefundDeskOutcome:
    return refund_or_request(
        payment_id=payment.id,
        amount=amount,
        reason="REQUESTED_BY_CUSTOMER",
        note="",
        user=user,
        now=NOW,
    )


class TestRefundOrRequest:
    def test_refunds_below_the_threshold_at_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        outcome = refund_or_request(
            payment_id=payment.id,
            amount=Money(49_999, "RUB"),
            reason="DUPLICATE",
            note="Charged twice.",
            user=staff.accounting(),
            now=NOW,
        )

        assert outcome.refund is not None and outcome.refund.status == "SUCCEEDED"
        assert outcome.refund_request is None
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_files_a_request_at_the_threshold(self, fake_gateway: FakeGateway) -> None:
        payment = pay_by_card()

        outcome = _desk(payment, Money(50_000, "RUB"), staff.accounting())

        assert outcome.refund is None
        request = outcome.refund_request
        assert request is not None
        assert request.status == RefundRequestStatus.PENDING
        assert request.amount == Money(50_000, "RUB")
        assert fake_gateway.calls_to("refund") == []

    def test_counts_what_was_refunded_before_against_the_threshold(self) -> None:
        """Splitting a large refund into small ones does not avoid the approver."""
        payment = pay_by_card()
        _desk(payment, Money(30_000, "RUB"), staff.accounting())

        outcome = _desk(payment, Money(20_000, "RUB"), staff.accounting())

        assert outcome.refund_request is not None

    def test_defaults_to_what_is_left(self) -> None:
        payment = pay_by_card()

        outcome = _desk(payment, None, staff.accounting())

        assert outcome.refund_request is not None
        assert outcome.refund_request.amount_minor == 99_900

    def test_a_currency_without_a_threshold_always_takes_an_approver(
        self, settings: Settings
    ) -> None:
        settings.REFUND_APPROVAL_THRESHOLDS = {"USD": 50_000}

        outcome = _desk(pay_by_card(), Money(1, "RUB"), staff.accounting())

        assert outcome.refund_request is not None

    def test_refuses_support(self) -> None:
        with pytest.raises(RefundDeskForbidden):
            _desk(pay_by_card(), Money(100, "RUB"), staff.support())

    @pytest.mark.parametrize(
        ("amount", "error"),
        [
            (Money(0, "RUB"), RefundExceedsCaptured),
            (Money(-5, "RUB"), RefundExceedsCaptured),
            (Money(99_901, "RUB"), RefundExceedsCaptured),
            (Money(100, "USD"), CurrencyMismatch),
        ],
    )
    def test_refuses_bad_amounts_and_stores_nothing(
        self, amount: Money, error: type[Exception], fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        with pytest.raises(error):
            _desk(payment, amount, staff.accounting())

        assert not RefundRequest.objects.exists()
        assert fake_gateway.calls_to("refund") == []

    def test_refuses_a_payment_that_is_not_captured(self) -> None:
        held = pay_by_card(capture=False)

        with pytest.raises(InvalidStatusTransition):
            _desk(held, None, staff.accounting())


class TestFileRefundRequest:
    def test_support_files_any_amount_with_audit_and_event(self) -> None:
        support = staff.support()

        request = RefundRequestFactory.create(amount=Money(100, "RUB"), user=support)

        assert request.requested_by == support
        assert request.status == RefundRequestStatus.PENDING
        change = StatusChange.objects.get(object_type="refund_request")
        assert (change.to_status, change.actor) == ("PENDING", f"user:{support.pk}")
        assert BillingEvent.objects.filter(type="refund_request.filed").count() == 1

    def test_a_payment_has_one_open_request_at_a_time(self) -> None:
        request = RefundRequestFactory.create(amount=Money(100, "RUB"))

        with pytest.raises(RefundRequestOpen):
            RefundRequestFactory.create(payment=request.payment)

    def test_a_member_may_not_file(self) -> None:
        with pytest.raises(RefundDeskForbidden):
            RefundRequestFactory.create(user=staff.member())


class TestApproveRefundRequest:
    def test_a_second_accounting_user_approves_and_the_refund_runs_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        request = RefundRequestFactory.create()
        approver = staff.accounting()

        approved = approve_refund_request(
            request_id=request.id, user=approver, now=NOW, note="Checked."
        )

        assert approved.status == RefundRequestStatus.EXECUTED
        assert approved.decided_by == approver
        assert approved.refund is not None and approved.refund.status == "SUCCEEDED"
        assert approved.refund.requested_by == f"user:{approver.pk}"
        assert len(fake_gateway.calls_to("refund")) == 1
        trail = StatusChange.objects.filter(object_type="refund_request")
        assert [c.to_status for c in trail.order_by("id")] == [
            "PENDING",
            "APPROVED",
            "EXECUTED",
        ]
        assert BillingEvent.objects.filter(type="payment.refunded").count() == 1

    def test_approving_twice_refunds_once(self, fake_gateway: FakeGateway) -> None:
        request = RefundRequestFactory.create()
        approve_refund_request(request_id=request.id, user=staff.accounting(), now=NOW)

        with pytest.raises(InvalidStatusTransition):
            approve_refund_request(
                request_id=request.id, user=staff.accounting(), now=NOW
            )

        assert len(fake_gateway.calls_to("refund")) == 1
        request.payment.refresh_from_db()
        assert request.payment.refunded_minor == 99_900

    def test_the_requester_cannot_approve_their_own(
        self, fake_gateway: FakeGateway
    ) -> None:
        accountant = staff.accounting()
        request = RefundRequestFactory.create(user=accountant)

        with pytest.raises(OwnRefundRequest):
            approve_refund_request(request_id=request.id, user=accountant, now=NOW)

        request.refresh_from_db()
        assert request.status == RefundRequestStatus.PENDING
        assert fake_gateway.calls_to("refund") == []

    def test_support_cannot_approve(self) -> None:
        request = RefundRequestFactory.create()

        with pytest.raises(RefundDeskForbidden):
            approve_refund_request(request_id=request.id, user=staff.support(), now=NOW)

    def test_a_declined_refund_leaves_the_request_failed(
        self, fake_gateway: FakeGateway
    ) -> None:
        request = RefundRequestFactory.create()
        fake_gateway.script(
            "refund",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        failed = approve_refund_request(
            request_id=request.id, user=staff.accounting(), now=NOW
        )

        assert failed.status == RefundRequestStatus.FAILED
        assert failed.failure_code == "5051"
        assert failed.refund is not None and failed.refund.status == "FAILED"
        assert BillingEvent.objects.filter(type="refund_request.failed").count() == 1

    def test_a_refund_no_longer_covered_leaves_the_request_failed(self) -> None:
        request = RefundRequestFactory.create()
        _desk(request.payment, Money(100, "RUB"), staff.accounting())
        request.refresh_from_db()

        failed = approve_refund_request(
            request_id=request.id, user=staff.accounting(), now=NOW
        )

        assert failed.status == RefundRequestStatus.FAILED
        assert failed.failure_code == "refund_exceeds_captured"
        assert failed.refund is None


class TestRejectRefundRequest:
    def test_rejects_with_a_note_and_refunds_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        request = RefundRequestFactory.create()

        rejected = reject_refund_request(
            request_id=request.id, user=staff.accounting(), note="Used.", now=NOW
        )

        assert rejected.status == RefundRequestStatus.REJECTED
        assert rejected.decision_note == "Used."
        assert fake_gateway.calls_to("refund") == []
        assert BillingEvent.objects.filter(type="refund_request.rejected").exists()

    def test_a_note_is_required(self) -> None:
        request = RefundRequestFactory.create()

        with pytest.raises(DecisionNoteRequired):
            reject_refund_request(
                request_id=request.id, user=staff.accounting(), note=" ", now=NOW
            )

    def test_a_new_request_may_follow_a_rejected_one(self) -> None:
        request = RefundRequestFactory.create()
        reject_refund_request(
            request_id=request.id, user=staff.accounting(), note="No.", now=NOW
        )

        again = RefundRequestFactory.create(payment=request.payment)

        assert again.status == RefundRequestStatus.PENDING


class TestConstraints:
    def test_the_database_refuses_a_decision_by_the_requester(self) -> None:
        request = RefundRequestFactory.create()

        with pytest.raises(IntegrityError), transaction.atomic():
            RefundRequest.objects.filter(id=request.id).update(
                decided_by=request.requested_by
            )

    def test_the_database_refuses_a_zero_amount(self) -> None:
        request = RefundRequestFactory.create()

        with pytest.raises(IntegrityError), transaction.atomic():
            RefundRequest.objects.filter(id=request.id).update(amount_minor=0)
