"""The reconciliation knobs on CloudPayments' records [SANDBOX].

Each acts on the terminal's transactions directly, with no notification, and writes
the ledger as the gateway's books would then read.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway_sandbox.cloudpayments.cards import UNABLE_TO_PROCESS
from gateway_sandbox.cloudpayments.cryptogram import CardData
from gateway_sandbox.cloudpayments.currencies import Currency, find_currency
from gateway_sandbox.cloudpayments.processing import OperationRefused, PaymentEngine
from gateway_sandbox.cloudpayments.transactions import (
    Status,
    Transaction,
    TransactionType,
    allocate_id,
)
from gateway_sandbox.discrepancies import (
    AmountChange,
    DashboardRefund,
    Discrepancy,
    Drop,
    KnobRefused,
    ReconciliationKnobs,
    SeededPayment,
    StatusChange,
    UnknownCapture,
    unknown_payment,
)

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

GATEWAY = "cloudpayments"
# The approved test card without 3-D Secure: what a seeded payment was paid with.
_SEED_CARD_NUMBER = "4000000000003055"
_FORCED_STATUSES = {"declined": Status.DECLINED, "canceled": Status.CANCELLED}


class CloudPaymentsKnobs(ReconciliationKnobs):
    def __init__(self, engine: PaymentEngine, sandbox: Sandbox) -> None:
        self._engine = engine
        self._sandbox = sandbox

    def make(self, discrepancy: Discrepancy) -> str:
        match discrepancy:
            case UnknownCapture():
                payment = self._captured(
                    SeededPayment(
                        reference=discrepancy.reference,
                        account=discrepancy.account,
                        amount_minor=discrepancy.amount_minor,
                        currency=discrepancy.currency,
                        created_at=None,
                    )
                )
                self._engine.store.add(payment)
                return str(payment.id)
            case DashboardRefund():
                return self._refund(discrepancy)
            case AmountChange():
                return self._change_amount(discrepancy)
            case StatusChange():
                return self._change_status(discrepancy)
            case Drop():
                return self._drop(discrepancy)

    def seed(self, payments: list[SeededPayment]) -> list[str]:
        for payment in payments:
            _currency(payment.currency)
        created = [self._captured(payment) for payment in payments]
        self._engine.store.add_many(created)
        return [str(transaction.id) for transaction in created]

    def _now(self) -> dt.datetime:
        return self._sandbox.clock.now()

    def _captured(self, payment: SeededPayment) -> Transaction:
        """A completed one-stage payment, in the ledger but not in the store yet."""
        currency = _currency(payment.currency)
        created_at = payment.created_at or self._now()
        amount = Decimal(payment.amount_minor).scaleb(-currency.exponent)
        transaction = Transaction(
            id=allocate_id(),
            public_id=self._engine.public_id,
            type=TransactionType.PAYMENT,
            amount=amount,
            currency=currency,
            status=Status.COMPLETED,
            created_at=created_at,
            card=CardData(
                number=_SEED_CARD_NUMBER,
                exp_month=12,
                exp_year=created_at.year + 2,
                cvv=None,
                name=None,
            ),
            invoice_id=payment.reference,
            account_id=payment.account,
            auth_code=_random(string.ascii_uppercase + string.digits, 6),
            rrn=_random(string.digits, 12),
            authorized_amount=amount,
            authorized_at=created_at,
            confirmed_at=created_at,
        )
        self._engine.record("capture", transaction, amount, at=created_at)
        return transaction

    def _payment(self, payment_id: str) -> Transaction:
        """:raises KnobRefused: 404 for no such transaction, 400 for a refund."""
        transaction = (
            self._engine.store.get(int(payment_id)) if payment_id.isdigit() else None
        )
        if transaction is None:
            raise unknown_payment(payment_id)
        if transaction.type is not TransactionType.PAYMENT:
            raise KnobRefused(f"transaction {payment_id} is a refund, not a payment")
        return transaction

    def _refund(self, discrepancy: DashboardRefund) -> str:
        payment = self._payment(discrepancy.payment)
        amount = Decimal(discrepancy.amount_minor).scaleb(-payment.currency.exponent)
        try:
            refund = self._engine.refund(payment.id, amount, None, notify=False)
        except OperationRefused as exc:
            raise KnobRefused(exc.message) from exc
        return str(refund.id)

    def _change_amount(self, discrepancy: AmountChange) -> str:
        payment = self._payment(discrepancy.payment)
        amount = Decimal(discrepancy.amount_minor).scaleb(-payment.currency.exponent)
        if payment.status is Status.COMPLETED:
            self._engine.record("adjustment", payment, amount - payment.amount)
        payment.amount = amount
        payment.authorized_amount = amount
        return str(payment.id)

    def _change_status(self, discrepancy: StatusChange) -> str:
        payment = self._payment(discrepancy.payment)
        status = _FORCED_STATUSES[discrepancy.status]
        if payment.status is Status.COMPLETED:
            self._engine.record("adjustment", payment, -payment.amount)
        elif payment.status is Status.AUTHORIZED:
            assert payment.authorized_amount is not None
            self._engine.record("void", payment, payment.authorized_amount)
        # Forced: the gateway's record changes whatever A7's transitions allow.
        payment.status = status
        if status is Status.DECLINED:
            payment.reason_code = UNABLE_TO_PROCESS
        else:
            payment.cancelled_at = self._now()
        return str(payment.id)

    def _drop(self, discrepancy: Drop) -> str:
        payment = self._payment(discrepancy.payment)
        store = self._engine.store
        forgotten = [payment, *store.refunds_of(payment)]
        for transaction in forgotten:
            store.remove(transaction)
        self._sandbox.ledger.forget(GATEWAY, {str(t.id) for t in forgotten})
        return str(payment.id)


def _currency(code: str) -> Currency:
    """:raises KnobRefused: for a currency the terminal does not take."""
    currency = find_currency(code)
    if currency is None:
        raise KnobRefused(f"CloudPayments does not take {code}")
    return currency


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))
