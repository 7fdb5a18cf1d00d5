"""Billing records for tests: payers, invoices issued (and settled) through the
billing services, ledger postings, events and the audit trail.

An invoice, its lines and the ledger must agree (the total is the sum of the lines,
and issuing posts receivable against revenue), so `InvoiceFactory`,
`InvoiceLineFactory` and `LedgerEntryFactory` build through the services; the other
rows stand alone and are written directly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import factory
from django.db import transaction

from billing.models import (
    BillingEvent,
    BillingReason,
    ClientRequest,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceNumberSequence,
    LedgerAccount,
    LedgerEntry,
    NoticeKind,
    Payer,
    PayerNotice,
    StatusChange,
)
from billing.money import Money
from billing.services import (
    InvoiceDraft,
    LineDraft,
    Posting,
    ensure_payer,
    issue_invoice,
    post_to_ledger,
    record_invoice_payment,
)

NOW = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
PERIOD_END = dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)
ACTOR = "system:test"
MONTHLY = Money(99_900, "RUB")


class PayerFactory(factory.django.DjangoModelFactory[Payer]):
    class Meta:
        model = Payer

    id = factory.LazyFunction(uuid.uuid4)


class LineDraftFactory(factory.Factory[LineDraft]):
    """A plan line (a credit when negative) for the period NOW to PERIOD_END."""

    class Meta:
        model = LineDraft

    amount = MONTHLY
    description = "Monthly"
    kind = factory.LazyAttribute(
        lambda line: (
            InvoiceLineKind.PLAN
            if line.amount.amount_minor >= 0
            else InvoiceLineKind.CREDIT
        )
    )
    period_starts_at = NOW
    period_ends_at = PERIOD_END


class InvoiceFactory(factory.Factory[Invoice]):
    """An invoice issued through `issue_invoice`: OPEN (PAID if it totals zero),
    or PAID in full at `paid_at` with `paid=True`.

    `lines` are LineDrafts; without them, one monthly plan line in the currency.
    """

    class Meta:
        model = Invoice

    payer_id = factory.LazyFunction(uuid.uuid4)
    currency = "RUB"
    lines: Any = ()
    subscription_id = None
    billing_reason = BillingReason.SUBSCRIPTION_CYCLE
    description = "Renewal of Monthly"
    paid = False
    paid_at = NOW
    gateway = "fake"

    @classmethod
    def _create(cls, model_class: type[Invoice], *args: Any, **kwargs: Any) -> Invoice:
        paid, paid_at, gateway = (kwargs.pop(k) for k in ("paid", "paid_at", "gateway"))
        lines = tuple(kwargs.pop("lines")) or (
            LineDraftFactory.build(
                amount=Money(MONTHLY.amount_minor, kwargs["currency"])
            ),
        )
        with transaction.atomic():
            ensure_payer(payer_id=kwargs["payer_id"])
            invoice = issue_invoice(
                InvoiceDraft(
                    lines=lines,
                    period_starts_at=NOW,
                    period_ends_at=PERIOD_END,
                    **kwargs,
                ),
                now=NOW,
                actor=ACTOR,
            )
        return pay(invoice, at=paid_at, gateway=gateway) if paid else invoice


class InvoiceLineFactory(factory.Factory[InvoiceLine]):
    """A line, on an invoice issued with it alone."""

    class Meta:
        model = InvoiceLine

    amount = MONTHLY
    description = "Monthly"

    @classmethod
    def _create(
        cls, model_class: type[InvoiceLine], *args: Any, **kwargs: Any
    ) -> InvoiceLine:
        line = LineDraftFactory.build(**kwargs)
        invoice = InvoiceFactory.create(
            lines=[line], currency=line.amount.currency, description=line.description
        )
        return invoice.lines.get()


class InvoiceNumberSequenceFactory(
    factory.django.DjangoModelFactory[InvoiceNumberSequence]
):
    """The one row that hands out invoice numbers (id 1, as the migration and the
    issuing service create it), fetched when it exists."""

    class Meta:
        model = InvoiceNumberSequence
        django_get_or_create = ("id",)

    id = 1
    last_number = 0


class LedgerEntryFactory(factory.Factory[LedgerEntry]):
    """The debit leg of a balanced two-leg posting written by `post_to_ledger`
    (a lone entry would leave the books out of balance)."""

    class Meta:
        model = LedgerEntry

    key = factory.Sequence(lambda n: f"test:{n}:posted")
    amount = MONTHLY
    debit = LedgerAccount.RECEIVABLE
    credit = LedgerAccount.REVENUE
    at = NOW
    payer_id = None
    memo = ""

    @classmethod
    def _create(
        cls, model_class: type[LedgerEntry], *args: Any, **kwargs: Any
    ) -> LedgerEntry:
        key, amount = kwargs.pop("key"), kwargs.pop("amount")
        with transaction.atomic():
            if kwargs["payer_id"] is not None:
                ensure_payer(payer_id=kwargs["payer_id"])
            debit, _credit = post_to_ledger([Posting.transfer(key, amount, **kwargs)])
        return debit


class BillingEventFactory(factory.django.DjangoModelFactory[BillingEvent]):
    """An event in the outbox, as `billing.events.record_event` writes one."""

    class Meta:
        model = BillingEvent

    type = "invoice.paid"
    payer = factory.SubFactory(PayerFactory)
    occurred_at = NOW
    payload = factory.LazyAttribute(lambda event: {"payer": str(event.payer.id)})


class StatusChangeFactory(factory.django.DjangoModelFactory[StatusChange]):
    class Meta:
        model = StatusChange

    object_type = "invoice"
    object_id = factory.Sequence(str)
    from_status = "OPEN"
    to_status = "PAID"
    actor = ACTOR
    at = NOW


class ClientRequestFactory(factory.django.DjangoModelFactory[ClientRequest]):
    """A caller's idempotency key as `billing.services.remember_request` stores it."""

    class Meta:
        model = ClientRequest

    client = "service:shop"
    key = factory.Sequence(lambda n: f"order-{n}")
    operation = "charge_payment"
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    result = factory.LazyFunction(lambda: f"payment:{uuid.uuid4()}")
    created_at = NOW


class PayerNoticeFactory(factory.django.DjangoModelFactory[PayerNotice]):
    """A receipt waiting to be sent, as the payment's task first records it."""

    class Meta:
        model = PayerNotice

    kind = NoticeKind.RECEIPT
    object_key = factory.LazyFunction(lambda: f"payment:{uuid.uuid4()}")
    payer_id = factory.LazyFunction(uuid.uuid4)
    created_at = NOW


def line(amount: Money, description: str = "Monthly") -> LineDraft:
    """A plan line (a credit when negative) for the period NOW to PERIOD_END."""
    return LineDraftFactory.build(amount=amount, description=description)


def issue(
    payer_id: uuid.UUID,
    *lines: LineDraft,
    currency: str = "RUB",
    subscription_id: uuid.UUID | None = None,
    reason: BillingReason = BillingReason.SUBSCRIPTION_CYCLE,
    description: str = "Renewal of Monthly",
) -> Invoice:
    """An OPEN invoice (PAID if it totals zero) for the period NOW to PERIOD_END."""
    return InvoiceFactory.create(
        payer_id=payer_id,
        lines=lines,
        currency=currency,
        subscription_id=subscription_id,
        billing_reason=reason,
        description=description,
    )


def pay(invoice: Invoice, *, at: dt.datetime = NOW, gateway: str = "fake") -> Invoice:
    """Record the gateway's capture of everything the invoice owes."""
    with transaction.atomic():
        record_invoice_payment(
            invoice_id=invoice.id,
            payer_id=invoice.payer_id,
            amount=invoice.amount_due,
            gateway=gateway,
            payment_reference=f"payment:{uuid.uuid4()}",
            at=at,
            actor=ACTOR,
        )
    invoice.refresh_from_db()
    return invoice
