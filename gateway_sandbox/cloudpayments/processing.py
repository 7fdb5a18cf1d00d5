"""What the gateway does with money: payments, 3-D Secure, confirm, void, refund.

Every move lands in the sandbox ledger the moment it happens and queues the matching
notification; the HTTP layer only parses requests and renders the results.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from gateway_sandbox.cards import passes_luhn
from gateway_sandbox.cloudpayments import notifications
from gateway_sandbox.cloudpayments.acs import read_pa_res
from gateway_sandbox.cloudpayments.cards import (
    APPROVED,
    AUTHENTICATION_FAILED,
    EXPIRED_CARD,
    INVALID_CARD_NUMBER,
    INVALID_TRANSACTION,
    TEST_CARDS,
    UNABLE_TO_PROCESS,
)
from gateway_sandbox.cloudpayments.cryptogram import CardData
from gateway_sandbox.cloudpayments.currencies import Currency, to_minor
from gateway_sandbox.cloudpayments.notifications import NotificationType, Notifier
from gateway_sandbox.cloudpayments.store import TransactionStore
from gateway_sandbox.cloudpayments.tokens import TokenStore
from gateway_sandbox.cloudpayments.transactions import (
    Status,
    Transaction,
    TransactionType,
    allocate_id,
)
from gateway_sandbox.ledger import GatewayLedgerEntry, LedgerKind

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

GATEWAY = "cloudpayments"
# Unconfirmed authorizations are voided after (up to) 7 days [DOC].
AUTHORIZATION_LIFETIME = dt.timedelta(days=7)
# Refunds are refused for transactions older than a year [DOC #vozvrat-deneg].
REFUND_WINDOW = dt.timedelta(days=365)


class OperationRefused(Exception):
    """The request is well formed but cannot be carried out (`Success: false`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthenticationRejected(Exception):
    """A post3ds for an unknown transaction or one no longer awaiting authentication."""

    def __init__(self, transaction_id: int) -> None:
        super().__init__(f"no 3-D Secure authentication pending for {transaction_id}")
        self.transaction_id = transaction_id


NOT_FOUND = "Not found"


@dataclass(frozen=True, slots=True)
class PaymentDetails:
    """What every payment request may carry besides the card or token."""

    amount: Decimal
    currency: Currency
    is_two_stage: bool
    invoice_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    description: str | None = None
    json_data: str | None = None
    ip_address: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class TokenCharge:
    token: str
    # Recorded as sent; the SDK cannot send them, so absent means "not given".
    tr_initiator_code: int | None = None
    payment_scheduled: int | None = None
    subscription_id: str | None = None


class PaymentEngine:
    def __init__(
        self,
        sandbox: Sandbox,
        *,
        store: TransactionStore,
        tokens: TokenStore,
        notifier: Notifier,
    ) -> None:
        self._sandbox = sandbox
        self.store = store
        self._tokens = tokens
        self._notifier = notifier

    @property
    def public_id(self) -> str:
        return self._sandbox.config.cloudpayments_public_id

    def _now(self) -> dt.datetime:
        return self._sandbox.clock.now()

    def _draft(self, details: PaymentDetails, card: CardData) -> Transaction:
        # Drafts start awaiting authentication so that every outcome is a transition.
        return Transaction(
            id=allocate_id(),
            public_id=self.public_id,
            type=TransactionType.PAYMENT,
            amount=details.amount,
            currency=details.currency,
            status=Status.AWAITING_AUTHENTICATION,
            created_at=self._now(),
            card=card,
            invoice_id=details.invoice_id,
            account_id=details.account_id,
            email=details.email,
            description=details.description,
            json_data=details.json_data,
            ip_address=details.ip_address,
            name=details.name or card.name,
            is_two_stage=details.is_two_stage,
        )

    async def pay_by_card(self, details: PaymentDetails, card: CardData) -> Transaction:
        """Charge or authorize a card; an `AwaitingAuthentication` result needs 3-DS."""
        transaction = self._draft(details, card)
        would_be = Status.AUTHORIZED if details.is_two_stage else Status.COMPLETED
        refusal = await self._notifier.check(
            notifications.check_fields(transaction, would_be=would_be)
        )
        if refusal:
            return self._decline(transaction, refusal)
        screening = self._screen(card)
        if screening:
            return self._decline(transaction, screening)
        test_card = TEST_CARDS[card.number]
        if test_card.requires_3ds:
            transaction.pa_req = base64.b64encode(secrets.token_bytes(24)).decode()
            self.store.add(transaction)
            return transaction
        return self._settle(transaction, test_card.payment_code)

    def pay_by_token(self, details: PaymentDetails, charge: TokenCharge) -> Transaction:
        """Charge or authorize a saved card; token payments never ask for 3-DS.

        :raises OperationRefused: when the token was never issued by this terminal.
        """
        stored = self._tokens.find(charge.token)
        if stored is None or stored.public_id != self.public_id:
            raise OperationRefused("Token not found")
        transaction = self._draft(details, stored.card)
        transaction.is_token_payment = True
        transaction.token = charge.token
        transaction.tr_initiator_code = charge.tr_initiator_code
        transaction.payment_scheduled = charge.payment_scheduled
        transaction.subscription_id = charge.subscription_id
        if stored.account_id != details.account_id:
            # A token is bound to the account it was issued for; another account's
            # use is refused as an invalid transaction (a hard decline).
            return self._decline(transaction, INVALID_TRANSACTION)
        screening = self._screen(stored.card)
        if screening:
            return self._decline(transaction, screening)
        token_code = TEST_CARDS[stored.card.number].token_code
        return self._settle(
            transaction, UNABLE_TO_PROCESS if token_code is None else token_code
        )

    def complete_3ds(self, transaction_id: int, pa_res: str) -> Transaction:
        """Finish a 3-DS payment with the ACS's answer.

        :raises AuthenticationRejected: when nothing awaits authentication under the id.
        """
        transaction = self.store.get(transaction_id)
        if (
            transaction is None
            or transaction.status is not Status.AWAITING_AUTHENTICATION
        ):
            raise AuthenticationRejected(transaction_id)
        if read_pa_res(pa_res, transaction_id=transaction_id) != "success":
            return self._decline(transaction, AUTHENTICATION_FAILED)
        return self._settle(
            transaction, TEST_CARDS[transaction.card.number].payment_code
        )

    def _screen(self, card: CardData) -> int:
        """The issuer's checks before the card's own outcome: expiry, number, BIN."""
        today = self._now()
        if card.is_expired(year=today.year, month=today.month):
            return EXPIRED_CARD
        if not passes_luhn(card.number):
            return INVALID_CARD_NUMBER
        if card.number not in TEST_CARDS:
            return UNABLE_TO_PROCESS
        return APPROVED

    def _settle(self, transaction: Transaction, reason_code: int) -> Transaction:
        if reason_code != APPROVED:
            return self._decline(transaction, reason_code)
        transaction.auth_code = "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6)
        )
        transaction.rrn = "".join(secrets.choice(string.digits) for _ in range(12))
        transaction.authorized_amount = transaction.amount
        if transaction.account_id and not transaction.is_token_payment:
            transaction.token = self._tokens.issue(
                card=transaction.card,
                account_id=transaction.account_id,
                public_id=self.public_id,
            )
        if transaction.is_two_stage:
            transaction.transition_to(Status.AUTHORIZED, at=self._now())
            self.record("authorize", transaction, transaction.amount)
        else:
            transaction.transition_to(Status.COMPLETED, at=self._now())
            self.record("capture", transaction, transaction.amount)
        self.store.add(transaction)
        self._notifier.send(NotificationType.PAY, notifications.pay_fields(transaction))
        return transaction

    def _decline(self, transaction: Transaction, reason_code: int) -> Transaction:
        transaction.reason_code = reason_code
        transaction.transition_to(Status.DECLINED, at=self._now())
        self.store.add(transaction)
        self._notifier.send(
            NotificationType.FAIL, notifications.fail_fields(transaction)
        )
        return transaction

    def find(self, transaction_id: int) -> Transaction:
        """:raises OperationRefused: `Not found`."""
        self.expire_authorizations()
        transaction = self.store.get(transaction_id)
        if transaction is None:
            raise OperationRefused(NOT_FOUND)
        return transaction

    def confirm(
        self, transaction_id: int, amount: Decimal, json_data: str | None
    ) -> Transaction:
        """Capture an authorization, fully or in part.

        :raises OperationRefused: unknown id, wrong state, or more than authorized.
        """
        transaction = self.find(transaction_id)
        if transaction.status is not Status.AUTHORIZED:
            raise OperationRefused(
                f"Transaction {transaction_id} cannot be confirmed: "
                f"its status is {transaction.status}"
            )
        assert transaction.authorized_amount is not None
        if amount > transaction.authorized_amount:
            raise OperationRefused(
                "Invalid Amount value: more than the authorized "
                f"{transaction.authorized_amount}"
            )
        transaction.amount = amount
        if json_data is not None:
            transaction.json_data = json_data
        transaction.transition_to(Status.COMPLETED, at=self._now())
        self.record("capture", transaction, amount)
        self._notifier.send(
            NotificationType.CONFIRM, notifications.confirm_fields(transaction)
        )
        return transaction

    def void(self, transaction_id: int) -> Transaction:
        """Cancel an authorization.

        :raises OperationRefused: unknown id, or not Authorized.
        """
        transaction = self.find(transaction_id)
        if transaction.status is not Status.AUTHORIZED:
            raise OperationRefused(
                f"Transaction {transaction_id} cannot be voided: "
                f"its status is {transaction.status}"
            )
        self._cancel(transaction)
        return transaction

    def _cancel(self, transaction: Transaction) -> None:
        transaction.transition_to(Status.CANCELLED, at=self._now())
        assert transaction.authorized_amount is not None
        self.record("void", transaction, transaction.authorized_amount)
        self._notifier.send(
            NotificationType.CANCEL, notifications.cancel_fields(transaction)
        )

    def expire_authorizations(self) -> None:
        """Void the authorizations left unconfirmed for 7 days of sandbox time."""
        now = self._now()
        for transaction in self.store.in_status(Status.AUTHORIZED):
            assert transaction.authorized_at is not None
            if now - transaction.authorized_at >= AUTHORIZATION_LIFETIME:
                self._cancel(transaction)

    def refund(
        self,
        transaction_id: int,
        amount: Decimal,
        json_data: str | None,
        *,
        notify: bool = True,
    ) -> Transaction:
        """Return money from a completed payment as a new refund transaction.

        A refund made in the dashboard (`notify=False`) sends no notification.

        :raises OperationRefused: unknown id, not a completed payment, too old, or
            more than the unrefunded remainder.
        """
        payment = self.find(transaction_id)
        if payment.type is not TransactionType.PAYMENT:
            raise OperationRefused(
                f"Transaction {transaction_id} is a refund and cannot be refunded"
            )
        if payment.status is not Status.COMPLETED:
            raise OperationRefused(
                f"Transaction {transaction_id} cannot be refunded: "
                f"its status is {payment.status}"
            )
        if self._now() - payment.created_at > REFUND_WINDOW:
            raise OperationRefused("Transactions older than a year cannot be refunded")
        if amount > payment.refundable_amount:
            raise OperationRefused(
                "Invalid Amount value: more than the refundable "
                f"{payment.refundable_amount}"
            )
        refund = Transaction(
            id=allocate_id(),
            public_id=self.public_id,
            type=TransactionType.REFUND,
            amount=amount,
            currency=payment.currency,
            status=Status.AWAITING_AUTHENTICATION,
            created_at=self._now(),
            card=payment.card,
            invoice_id=payment.invoice_id,
            account_id=payment.account_id,
            email=payment.email,
            description=payment.description,
            json_data=json_data if json_data is not None else payment.json_data,
            name=payment.name,
            auth_code=payment.auth_code,
            rrn=payment.rrn,
            authorized_amount=amount,
            original_transaction_id=payment.id,
            subscription_id=payment.subscription_id,
        )
        refund.transition_to(Status.COMPLETED, at=self._now())
        payment.refunded_amount += amount
        self.store.add(refund)
        self.record("refund", refund, amount)
        if notify:
            self._notifier.send(
                NotificationType.REFUND, notifications.refund_fields(refund)
            )
        return refund

    def record(
        self,
        kind: LedgerKind,
        transaction: Transaction,
        amount: Decimal,
        *,
        at: dt.datetime | None = None,
    ) -> None:
        self._sandbox.ledger.record(
            GatewayLedgerEntry(
                gateway=GATEWAY,
                kind=kind,
                transaction_id=str(transaction.id),
                amount_minor=to_minor(amount, transaction.currency),
                currency=transaction.currency.code,
                account_id=transaction.account_id,
                invoice_id=transaction.invoice_id,
                # CloudPayments has no reference separate from InvoiceId.
                reference=transaction.invoice_id,
                at=at or self._now(),
            )
        )
