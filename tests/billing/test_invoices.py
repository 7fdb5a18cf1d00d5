"""Invoices: gapless numbers, one per subscription period, settled with postings."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import IntegrityError, connections, transaction

from billing import outbox
from billing.errors import InvalidStatusTransition
from billing.models import (
    BillingEvent,
    BillingReason,
    Invoice,
    InvoiceLineKind,
    InvoiceStatus,
    LedgerEntry,
    StatusChange,
)
from billing.money import CurrencyMismatch, Money
from billing.services import (
    InvoiceDraft,
    LineDraft,
    NegativeInvoiceTotal,
    ensure_payer,
    issue_invoice,
    issue_invoices,
    mark_invoice_uncollectible,
    record_invoice_payment,
    void_invoice,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ACTOR = "system:test"
PRICE = Money(59_900, "RUB")


def draft(
    payer_id: uuid.UUID,
    *lines: Money,
    subscription_id: uuid.UUID | None = None,
    starts_at: dt.datetime = NOW,
) -> InvoiceDraft:
    return InvoiceDraft(
        payer_id=payer_id,
        currency="RUB",
        billing_reason=BillingReason.SUBSCRIPTION_CYCLE,
        lines=[
            LineDraft(
                kind=InvoiceLineKind.PLAN
                if a.amount_minor >= 0
                else InvoiceLineKind.CREDIT,
                description="Cinema monthly",
                amount=a,
            )
            for a in (lines or (PRICE,))
        ],
        subscription_id=subscription_id or uuid.uuid4(),
        period_starts_at=starts_at,
        period_ends_at=starts_at + dt.timedelta(days=30),
    )


def issue(*lines: Money, **options: object) -> Invoice:
    payer = ensure_payer(payer_id=uuid.uuid4())
    with outbox.atomic():
        return issue_invoice(draft(payer.id, *lines, **options), now=NOW, actor=ACTOR)  # type: ignore[arg-type]


def balances(prefix: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in LedgerEntry.objects.filter(posting__startswith=prefix):
        totals[entry.account] = (
            totals.get(entry.account, 0) + entry.debit_minor - entry.credit_minor
        )
    return totals


@pytest.mark.django_db
class TestIssueInvoices:
    def test_an_invoice_is_open_numbered_and_on_the_books(self) -> None:
        invoice = issue()

        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.number is not None
        assert invoice.display_number == f"INV-{invoice.number:08d}"
        assert invoice.total == PRICE
        assert balances(f"invoice:{invoice.id}:") == {
            "RECEIVABLE": PRICE.amount_minor,
            "REVENUE": -PRICE.amount_minor,
        }
        assert BillingEvent.objects.get(type="invoice.created").payload["lines"] == [
            {"kind": "PLAN", "description": "Cinema monthly", "amount_minor": 59_900}
        ]

    def test_numbers_follow_each_other_without_gaps(self) -> None:
        payer = ensure_payer(payer_id=uuid.uuid4())
        with outbox.atomic():
            batch = issue_invoices(
                [draft(payer.id) for _ in range(3)], now=NOW, actor=ACTOR
            )
        with pytest.raises(CurrencyMismatch), outbox.atomic():
            issue_invoice(draft(payer.id, Money(100, "USD")), now=NOW, actor=ACTOR)
        after = issue()

        numbers = [i.number or 0 for i in batch] + [after.number or 0]
        assert numbers == list(range(numbers[0], numbers[0] + 4))

    def test_a_zero_total_is_paid_at_once(self) -> None:
        invoice = issue(PRICE, -PRICE)

        assert invoice.status == InvoiceStatus.PAID
        assert invoice.paid_at == NOW
        assert BillingEvent.objects.filter(type="invoice.paid").count() == 1

    def test_credits_above_the_charges_are_refused(self) -> None:
        with pytest.raises(NegativeInvoiceTotal):
            issue(PRICE, Money(-60_000, "RUB"))

        assert Invoice.objects.count() == 0

    def test_a_subscription_period_is_invoiced_once(self) -> None:
        subscription_id = uuid.uuid4()
        issue(subscription_id=subscription_id)

        with pytest.raises(IntegrityError):
            issue(subscription_id=subscription_id)


@pytest.mark.django_db
class TestSettleInvoices:
    def test_a_payment_marks_it_paid_and_moves_receivable_to_cash(self) -> None:
        invoice = issue()

        with outbox.atomic():
            record_invoice_payment(
                invoice_id=invoice.id,
                payer_id=invoice.payer_id,
                amount=PRICE,
                gateway="cloudpayments",
                payment_reference="payment:1",
                at=NOW,
                actor=ACTOR,
            )

        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.amount_paid_minor == PRICE.amount_minor
        assert balances(f"invoice:{invoice.id}:") == {
            "RECEIVABLE": 0,
            "REVENUE": -PRICE.amount_minor,
            "GATEWAY_CASH": PRICE.amount_minor,
        }
        assert StatusChange.objects.filter(object_type="invoice").count() == 1

    @pytest.mark.parametrize("state", ["VOID", "PAID", "MISSING"])
    def test_money_it_cannot_take_becomes_the_payers_credit(self, state: str) -> None:
        invoice = issue()
        if state == "VOID":
            with outbox.atomic():
                void_invoice(invoice_id=invoice.id, at=NOW, actor=ACTOR, reason="test")
        elif state == "PAID":
            Invoice.objects.filter(id=invoice.id).update(
                status=InvoiceStatus.PAID, amount_paid_minor=PRICE.amount_minor
            )
        invoice_id = invoice.id if state != "MISSING" else invoice.id + 1000

        with outbox.atomic():
            record_invoice_payment(
                invoice_id=invoice_id,
                payer_id=invoice.payer_id,
                amount=PRICE,
                gateway="stripe",
                payment_reference="payment:2",
                at=NOW,
                actor=ACTOR,
            )

        assert balances("payment:2:") == {
            "GATEWAY_CASH": PRICE.amount_minor,
            "CUSTOMER_CREDIT": -PRICE.amount_minor,
        }
        assert BillingEvent.objects.filter(type="invoice.payment_unapplied").exists()

    def test_the_database_refuses_a_paid_invoice_that_was_paid_in_part(
        self,
    ) -> None:
        """The backstop of `covers`: PAID means the total was paid, in full."""
        invoice = issue()
        short = Invoice.objects.filter(id=invoice.id)

        with pytest.raises(IntegrityError), transaction.atomic():
            short.update(status=InvoiceStatus.PAID, amount_paid_minor=1)

        assert short.get().status == InvoiceStatus.OPEN

    def test_void_reverses_the_issue(self) -> None:
        invoice = issue()

        with outbox.atomic():
            void_invoice(invoice_id=invoice.id, at=NOW, actor=ACTOR, reason="canceled")

        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        assert balances(f"invoice:{invoice.id}:") == {"RECEIVABLE": 0, "REVENUE": 0}

    def test_a_write_off_moves_receivable_to_the_expense_and_can_be_paid_late(
        self,
    ) -> None:
        invoice = issue()

        with outbox.atomic():
            mark_invoice_uncollectible(
                invoice_id=invoice.id, at=NOW, actor=ACTOR, reason="dunning"
            )
        with outbox.atomic():
            record_invoice_payment(
                invoice_id=invoice.id,
                payer_id=invoice.payer_id,
                amount=PRICE,
                gateway="cloudpayments",
                payment_reference="payment:3",
                at=NOW,
                actor=ACTOR,
            )

        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert balances(f"invoice:{invoice.id}:") == {
            "RECEIVABLE": 0,
            "REVENUE": -PRICE.amount_minor,
            "UNCOLLECTIBLE": 0,
            "GATEWAY_CASH": PRICE.amount_minor,
        }

    def test_a_paid_invoice_cannot_be_voided(self) -> None:
        invoice = issue(PRICE, -PRICE)

        with pytest.raises(InvalidStatusTransition), outbox.atomic():
            void_invoice(invoice_id=invoice.id, at=NOW, actor=ACTOR, reason="late")


@pytest.mark.django_db(transaction=True)
class TestOutsideATransaction:
    def test_numbers_are_taken_only_inside_one(self) -> None:
        payer = ensure_payer(payer_id=uuid.uuid4())

        with pytest.raises(RuntimeError):
            issue_invoice(draft(payer.id), now=NOW, actor=ACTOR)

        assert Invoice.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestConcurrentNumbers:
    def test_parallel_issuers_get_distinct_numbers_without_gaps(self) -> None:
        payer = ensure_payer(payer_id=uuid.uuid4())
        numbers: list[int] = []
        lock = threading.Lock()

        def issue_some() -> None:
            try:
                for _ in range(10):
                    with outbox.atomic():
                        invoice = issue_invoice(draft(payer.id), now=NOW, actor=ACTOR)
                    with lock:
                        numbers.append(invoice.number or 0)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=issue_some) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(numbers) == list(range(min(numbers), min(numbers) + 40))
        assert not transaction.get_connection().in_atomic_block
