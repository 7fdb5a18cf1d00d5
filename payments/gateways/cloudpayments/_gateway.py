"""The CloudPayments adapter: the contract over the official SDK (GATEWAYS.md Part A).

| CloudPayments says                                  | the adapter raises            |
| --------------------------------------------------- | ----------------------------- |
| Secure3d model (3-D Secure needed)                  | RequiresAction                |
| declined Transaction (`PaymentError`)               | Declined(ReasonCode, hard per |
|                                                     | `_mapping.HARD_DECLINES`)     |
| `Success: false` with a Message (bad request, wrong | GatewayError (our request was |
| state, refund above the remainder, unknown token)   | wrong)                        |
| HTTP 401/403                                        | GatewayError (credentials)    |
| HTTP 429, 500, 503, other 5xx; connection refused,  | Unavailable                   |
| connect timeout                                     |                               |
| HTTP 502/504; read timeout, reset or closed         | OutcomeUnknown                |
| connection, truncated reply                         |                               |
| a non-JSON 2xx body, an answer the SDK cannot read  | GatewayError                  |

3-D Secure: the payer's browser POSTs `challenge.form_fields` (PaReq, MD) plus
`TermUrl` (the caller's `ChargeRequest.return_url`) to `challenge.url`; the ACS posts
`PaRes` back to TermUrl, which the caller passes to `complete_3ds`.

Card setups authorize the verification amount by cryptogram (with AccountId, so
that a Token is issued) and void the authorization at once (GATEWAYS.md Part E,
item 1); a void that fails twice is logged and left to the gateway's own release.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from cloudpayments.models import Secure3d, Transaction
from django.conf import settings

from billing.money import Money
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    ChargeRequest,
    ChargeResult,
    EnteredCard,
    GatewayError,
    GatewayEvent,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    PaymentSnapshot,
    PaymentState,
    RefundResult,
    Unavailable,
)
from payments.gateways.cloudpayments import (
    _mapping,
    _operations,
    _stored_fields,
    _webhooks,
)
from payments.gateways.cloudpayments._client import CloudPaymentsClient
from payments.gateways.operations import OperationsPage

logger = logging.getLogger(__name__)

# CloudPayments requires the payer's IP; merchant-initiated charges have none.
DEFAULT_IP_ADDRESS = "127.0.0.1"
CARD_SETUP_DESCRIPTION = "Card verification (released at once)"
# How often a card check's authorization is voided before giving up on it: an
# unconfirmed authorization is released by the gateway itself within 7 days
# (GATEWAYS.md A3.4), so a failed void delays the payer's funds, it takes none.
VOID_ATTEMPTS = 2


class CloudPaymentsGateway(PaymentGateway):
    """CloudPayments through `cloudpayments` 1.6.3, configured from Django settings.

    Settings (read when the adapter is built): CLOUDPAYMENTS_PUBLIC_ID,
    CLOUDPAYMENTS_API_SECRET, CLOUDPAYMENTS_API_URL and GATEWAY_TIMEOUT_SECONDS;
    CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC is read for each notification.
    Tokens are keyed by AccountId, which is the payer's UUID: no customer object.
    """

    code = "cloudpayments"
    stored_payload_keys = _stored_fields.STORED_KEYS
    # The Transaction model says only whether a payment is refunded (see _mapping).
    reports_partial_refunds = False

    def __init__(self) -> None:
        self._public_id: str = settings.CLOUDPAYMENTS_PUBLIC_ID
        self._api_secret: str = settings.CLOUDPAYMENTS_API_SECRET
        self._api_url: str = settings.CLOUDPAYMENTS_API_URL
        self._timeout = float(settings.GATEWAY_TIMEOUT_SECONDS)

    def _client(self, request_id: str | None = None) -> CloudPaymentsClient:
        return CloudPaymentsClient(
            self._public_id,
            self._api_secret,
            url=self._api_url,
            timeout=self._timeout,
            request_id=request_id,
        )

    def ensure_customer(self, payer: PayerAccount) -> PayerAccount:
        """CloudPayments has no customers: AccountId is the payer's UUID."""
        return payer

    def account_reference(self, payer: PayerAccount) -> str:
        """The AccountId every payment is sent with (`charge`)."""
        return str(payer.payer_id)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        client = self._client(request.idempotency_key)
        amount = request.amount.to_decimal()
        account_id = self.account_reference(request.payer)
        source = request.source
        if isinstance(source, EnteredCard):
            answer = _pay_by_card(
                client,
                source,
                amount=request.amount,
                reference=request.reference,
                account_id=account_id,
                ip_address=request.ip_address,
                description=request.description or None,
                data=dict(request.metadata) or None,
                require_confirmation=not request.capture,
            )
        else:
            with _mapping.sdk_errors("a token payment", source.token):
                answer = client.charge_token_as(
                    token=source.token,
                    account_id=account_id,
                    amount=amount,
                    currency=request.amount.currency,
                    invoice_id=request.reference,
                    description=request.description or None,
                    ip_address=request.ip_address,
                    merchant_initiated=request.merchant_initiated,
                    scheduled=request.scheduled,
                    require_confirmation=not request.capture,
                )
        return _mapping.charge_result(answer)

    def complete_3ds(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        amount: Money,
    ) -> ChargeResult:
        """Send the ACS's PaRes to post3ds; a repeat replays the first answer."""
        transaction = self._post3ds(gateway_reference, authentication_result)
        return _mapping.charge_result(transaction)

    def setup_card(self, request: CardSetupRequest) -> CardSetupResult:
        """Authorize the verification amount, then void it: no money is taken."""
        transaction = _pay_by_card(
            self._client(request.idempotency_key),
            request.card,
            amount=request.verification_amount,
            reference=request.reference,
            account_id=str(request.payer.payer_id),
            ip_address=request.ip_address,
            description=CARD_SETUP_DESCRIPTION,
            require_confirmation=True,
        )
        return self._verified(transaction)

    def complete_card_setup(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        verification_amount: Money,
    ) -> CardSetupResult:
        """Finish the card check's 3-D Secure (post3ds), then void the authorization."""
        transaction = self._post3ds(gateway_reference, authentication_result)
        return self._verified(transaction)

    def capture(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> ChargeResult:
        """Confirm an authorization; the answer holds no transaction, so the
        capture is reported as asked (the Confirm notification tells the rest)."""
        client = self._client(idempotency_key)
        with _mapping.sdk_errors("confirm"):
            client.confirm_payment(
                _transaction_id(gateway_reference), amount.to_decimal()
            )
        return ChargeResult(
            gateway_reference=gateway_reference,
            state=PaymentState.SUCCEEDED,
            amount=amount,
        )

    def void(self, *, gateway_reference: str, idempotency_key: str) -> None:
        client = self._client(idempotency_key)
        with _mapping.sdk_errors("void"):
            client.void_payment(_transaction_id(gateway_reference))

    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """A refund above the unrefunded remainder is refused: GatewayError."""
        client = self._client(idempotency_key)
        with _mapping.sdk_errors("refund"):
            refund_id = client.refund(
                _transaction_id(gateway_reference), amount.to_decimal()
            )
        return RefundResult(gateway_reference=str(refund_id), amount=amount)

    def find_payment(self, *, reference: str) -> PaymentSnapshot | None:
        """The latest payment (refunds aside) with InvoiceId `reference`."""
        with _mapping.sdk_errors("payments/find"):
            model = self._client().find_payment_model(reference)
        return None if model is None else _mapping.snapshot(model)

    def day_operations(
        self, *, day: dt.date, cursor: str | None = None
    ) -> Iterator[OperationsPage]:
        """Payments and refunds created on the UTC `day` (`v2/payments/list`)."""
        return _operations.day_operations(self._client().list_page_models, day, cursor)

    def revoke_card(self, *, payer: PayerAccount, token: str) -> None:
        """Nothing to call: CloudPayments has no API that deletes a token.

        Its API exports tokens (`payments/tokens/list`) but revokes none
        (GATEWAYS.md A3). A token charges only with this merchant's API secret, so
        dropping it from the database ends its use. The gateway's own recurring
        subscriptions (`subscriptions/cancel`) would need canceling, but this
        service creates none: its renewal run charges tokens itself.
        """

    def forget_customer(self, payer: PayerAccount) -> None:
        """Nothing to delete: CloudPayments keys tokens by AccountId, and keeps no
        customer record of its own."""

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        _webhooks.verify(
            body,
            headers,
            self._api_secret,
            accept_decoded=settings.CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC,
        )

    def parse_webhook(self, *, kind: str, body: bytes) -> GatewayEvent:
        return _webhooks.parse(kind, body)

    def _post3ds(
        self, gateway_reference: str, authentication_result: str | None
    ) -> Transaction:
        """:raises Declined, Unavailable, OutcomeUnknown, GatewayError:"""
        if not authentication_result:
            raise GatewayError("CloudPayments needs the PaRes to finish 3-D Secure")
        client = self._client(f"post3ds:{gateway_reference}")
        with _mapping.sdk_errors("post3ds", authentication_result):
            transaction: Transaction = client.finish_3d_secure_authentication(
                _transaction_id(gateway_reference), authentication_result
            )
        return transaction

    def _verified(self, transaction: Transaction) -> CardSetupResult:
        """Release a card check's authorization and return the card it verified."""
        if _mapping.state_of(transaction) is PaymentState.AUTHORIZED:
            self._release(str(transaction.id))
        return _mapping.card_setup_result(transaction)

    def _release(self, gateway_reference: str) -> None:
        """Void a card check, trying again once; a void that fails is only logged.

        Every attempt carries the same X-Request-ID, so a void that went through
        but lost its reply is answered again rather than refused as Cancelled.
        """
        failure: GatewayError | None = None
        for _ in range(VOID_ATTEMPTS):
            try:
                self.void(
                    gateway_reference=gateway_reference,
                    idempotency_key=f"card_setup_void:{gateway_reference}",
                )
                return
            except GatewayError as exc:
                failure = exc
                # A refusal would only be replayed under the same X-Request-ID.
                if not isinstance(exc, (Unavailable, OutcomeUnknown)):
                    break
        logger.warning(
            "cloudpayments.card_setup.void_failed",
            extra={
                "transaction": gateway_reference,
                "error": type(failure).__name__,
            },
        )


def _pay_by_card(
    client: CloudPaymentsClient,
    card: EnteredCard,
    *,
    amount: Money,
    reference: str,
    account_id: str,
    ip_address: str | None,
    description: str | None,
    require_confirmation: bool,
    data: dict[str, Any] | None = None,
) -> Transaction:
    """Charge or authorize a card by cryptogram.

    :raises RequiresAction: with the 3-D Secure form, when the issuer asks for it.
    :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
    """
    with _mapping.sdk_errors("a card payment", card.payload):
        answer = client.charge_card(
            card.payload,
            amount.to_decimal(),
            amount.currency,
            card.cardholder_name,
            ip_address or DEFAULT_IP_ADDRESS,
            invoice_id=reference,
            description=description,
            account_id=account_id,
            data=data,
            require_confirmation=require_confirmation,
        )
    if isinstance(answer, Secure3d):
        raise _mapping.challenge(answer)
    transaction: Transaction = answer
    return transaction


def _transaction_id(gateway_reference: str) -> int:
    """:raises GatewayError: for a reference that is not a CloudPayments id."""
    if not gateway_reference.isdigit():
        raise GatewayError("not a CloudPayments TransactionId")
    return int(gateway_reference)
