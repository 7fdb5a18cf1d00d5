"""The order's Celery work: once per order, kind and subject; each task's body
done once, billing's refusals flagged, lost messages sent again."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django_celery_results.models import TaskResult

from snacks.models import HoldStatus, Order, OrderStatus, OrderTask, OrderTaskKind
from snacks.services import resend_lost_work, start_order_work
from tests.snacks.factories import OrderFactory, PurchaseFactory, SnackFactory
from tests.snacks.fakes import FakeBilling

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
Commits = Callable[..., Any]


def _held_order(**fields: Any) -> Order:
    order = OrderFactory.create(
        hold_status=HoldStatus.AUTHORIZED,
        payment_id=uuid.uuid4(),
        amount_minor=2 * 250 + 320,
        currency="EUR",
        **fields,
    )
    PurchaseFactory.create(
        order=order,
        snack=SnackFactory.create(name="Pretzels", amount_minor=250, currency="EUR"),
        quantity=2,
    )
    PurchaseFactory.create(
        order=order,
        snack=SnackFactory.create(name="Chocolate", amount_minor=320, currency="EUR"),
        quantity=1,
    )
    return order


def _run(commits: Commits, order: Order, kind: str, *, subject: str = "") -> OrderTask:
    """Ask for the work and run its task eagerly, as the commit would send it."""
    with commits(execute=True):
        return start_order_work(order, kind, now=NOW, subject=subject)


class TestStartOrderWork:
    def test_asking_twice_makes_one_row_and_sends_one_task(
        self, django_capture_on_commit_callbacks: Commits
    ) -> None:
        order = _held_order()

        with django_capture_on_commit_callbacks() as sent:
            first = start_order_work(order, OrderTaskKind.INVOICE_PDF, now=NOW)
            second = start_order_work(order, OrderTaskKind.INVOICE_PDF, now=NOW)

        assert first.task_id == second.task_id
        assert len(sent) == 1

    def test_each_subject_is_its_own_work(self) -> None:
        order = _held_order()

        first = start_order_work(order, OrderTaskKind.VOID_HOLD, now=NOW, subject="a")
        second = start_order_work(order, OrderTaskKind.VOID_HOLD, now=NOW, subject="b")

        assert first.task_id != second.task_id


class TestTheHoldsMoney:
    def test_capture_takes_the_payment_under_a_key_of_its_own(
        self, django_capture_on_commit_callbacks: Commits, billing: FakeBilling
    ) -> None:
        order = _held_order()
        subject = str(order.payment_id)

        work = _run(
            django_capture_on_commit_callbacks,
            order,
            OrderTaskKind.CAPTURE_HOLD,
            subject=subject,
        )

        assert billing.captures == [(order.payment_id, f"order-capture:{subject}")]
        work.refresh_from_db()
        assert work.finished_at is not None

    def test_void_releases_the_payment_it_names(
        self, django_capture_on_commit_callbacks: Commits, billing: FakeBilling
    ) -> None:
        order = _held_order()
        replaced = uuid.uuid4()

        _run(
            django_capture_on_commit_callbacks,
            order,
            OrderTaskKind.VOID_HOLD,
            subject=str(replaced),
        )

        assert billing.voids == [(replaced, f"order-void:{replaced}")]

    def test_a_refusal_flags_the_order_for_an_admin(
        self, django_capture_on_commit_callbacks: Commits, billing: FakeBilling
    ) -> None:
        order = _held_order()
        billing.refuse_with = "invalid_status_transition"

        _run(
            django_capture_on_commit_callbacks,
            order,
            OrderTaskKind.CAPTURE_HOLD,
            subject=str(order.payment_id),
        )

        order.refresh_from_db()
        assert order.needs_attention.startswith("Billing refused the capture_hold")

    @pytest.mark.usefixtures("eager_retries")
    def test_unreachable_billing_is_retried_and_the_work_stays_open(
        self, django_capture_on_commit_callbacks: Commits, billing: FakeBilling
    ) -> None:
        order = _held_order()
        billing.unavailable = True

        # Retried (at once when eager) until the retries run out; the last
        # failure is the task's.
        work = _run(
            django_capture_on_commit_callbacks,
            order,
            OrderTaskKind.CAPTURE_HOLD,
            subject=str(order.payment_id),
        )

        work.refresh_from_db()
        assert work.finished_at is None and billing.captures == []
        assert billing.calls == 1 + 12


class TestMembersPapers:
    def test_the_confirmation_tells_the_held_amount_and_the_snacks(
        self, django_capture_on_commit_callbacks: Commits
    ) -> None:
        order = _held_order()

        _run(
            django_capture_on_commit_callbacks, order, OrderTaskKind.CONFIRMATION_EMAIL
        )

        (message,) = mail.outbox
        assert message.to == [order.member.email]
        assert message.subject == "Your snack order is confirmed"
        assert "8.20 EUR" in message.body
        assert (
            "2 \N{MULTIPLICATION SIGN} Pretzels" in message.body
            and "5.00 EUR" in message.body
        )

    def test_a_task_run_again_sends_nothing_more(
        self, django_capture_on_commit_callbacks: Commits
    ) -> None:
        from snacks.tasks import confirmation_email

        order = _held_order()
        work = _run(
            django_capture_on_commit_callbacks, order, OrderTaskKind.CONFIRMATION_EMAIL
        )

        confirmation_email.apply(
            kwargs={"order_id": str(order.id), "subject": ""}, task_id=str(work.task_id)
        )

        assert len(mail.outbox) == 1

    def test_the_invoice_is_a_pdf_of_the_order(
        self, django_capture_on_commit_callbacks: Commits
    ) -> None:
        order = _held_order(status=OrderStatus.ORDERED, expected_arrival=NOW.date())

        _run(django_capture_on_commit_callbacks, order, OrderTaskKind.INVOICE_PDF)

        order.refresh_from_db()
        with order.invoice_pdf.open("rb") as document:
            content = document.read()
        assert content.startswith(b"%PDF-")
        assert str(order.invoice_pdf.name).endswith(f"order-{order.id}.pdf")


class TestLostMessages:
    def test_work_no_worker_took_is_sent_again_after_a_while(
        self, django_capture_on_commit_callbacks: Commits
    ) -> None:
        order = _held_order()
        lost = OrderTask.objects.create(
            order=order,
            kind=OrderTaskKind.CONFIRMATION_EMAIL,
            created_at=NOW - dt.timedelta(minutes=30),
        )
        fresh = OrderTask.objects.create(
            order=order, kind=OrderTaskKind.INVOICE_PDF, created_at=NOW
        )

        resent = resend_lost_work(now=NOW, older_than=dt.timedelta(minutes=10))

        lost.refresh_from_db()
        fresh.refresh_from_db()
        assert resent == 1
        assert lost.finished_at is not None and fresh.finished_at is None
        assert len(mail.outbox) == 1

    def test_work_a_worker_took_is_not_sent_again(self) -> None:
        order = _held_order()
        taken = OrderTask.objects.create(
            order=order,
            kind=OrderTaskKind.CONFIRMATION_EMAIL,
            created_at=NOW - dt.timedelta(minutes=30),
        )
        TaskResult.objects.create(task_id=str(taken.task_id), status="RETRY")

        assert resend_lost_work(now=NOW, older_than=dt.timedelta(minutes=10)) == 0
        assert mail.outbox == []
