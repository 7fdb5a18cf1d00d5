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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cloudpayments.models import Secure3d
from django.conf import settings

from billing.money import Money
from payments.gateways.base import (
    ChargeRequest,
    ChargeResult,
    EnteredCard,
    GatewayError,
    GatewayEvent,
    PayerAccount,
    PaymentGateway,
    PaymentSnapshot,
    RefundResult,
)
from payments.gateways.cloudpayments import _mapping, _webhooks
from payments.gateways.cloudpayments._client import CloudPaymentsClient

# CloudPayments requires the payer's IP; merchant-initiated charges have none.
DEFAULT_IP_ADDRESS = "127.0.0.1"


class CloudPaymentsGateway(PaymentGateway):
    """CloudPayments through `cloudpayments` 1.6.3, configured from Django settings.

    Settings (read when the adapter is built): CLOUDPAYMENTS_PUBLIC_ID,
    CLOUDPAYMENTS_API_SECRET, CLOUDPAYMENTS_API_URL and GATEWAY_TIMEOUT_SECONDS.
    Tokens are keyed by AccountId, which is the payer's UUID: no customer object.
    """

    code = "cloudpayments"
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

    def charge(self, request: ChargeRequest) -> ChargeResult:
        client = self._client(request.idempotency_key)
        amount = request.amount.to_decimal()
        account_id = str(request.payer.payer_id)
        source = request.source
        if isinstance(source, EnteredCard):
            with _mapping.sdk_errors("a card payment", source.payload):
                answer = client.charge_card(
                    source.payload,
                    amount,
                    request.amount.currency,
                    source.cardholder_name,
                    request.ip_address or DEFAULT_IP_ADDRESS,
                    invoice_id=request.reference,
                    description=request.description or None,
                    account_id=account_id,
                    data=dict(request.metadata) or None,
                    require_confirmation=not request.capture,
                )
            if isinstance(answer, Secure3d):
                raise _mapping.challenge(answer)
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
        if not authentication_result:
            raise GatewayError("CloudPayments needs the PaRes to finish 3-D Secure")
        client = self._client(f"post3ds:{gateway_reference}")
        with _mapping.sdk_errors("post3ds", authentication_result):
            transaction = client.finish_3d_secure_authentication(
                _transaction_id(gateway_reference), authentication_result
            )
        return _mapping.charge_result(transaction)

    def capture(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> None:
        client = self._client(idempotency_key)
        with _mapping.sdk_errors("confirm"):
            client.confirm_payment(
                _transaction_id(gateway_reference), amount.to_decimal()
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

    def list_payments(self, *, day: dt.date) -> list[PaymentSnapshot]:
        """Payments created on the UTC `day`; refunds (own transactions) left out."""
        with _mapping.sdk_errors("payments/list"):
            models = self._client().list_payment_models(day.isoformat())
        return [
            _mapping.snapshot(model) for model in models if _mapping.is_payment(model)
        ]

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        _webhooks.verify(body, headers, self._api_secret)

    def parse_webhook(self, *, kind: str, body: bytes) -> GatewayEvent:
        return _webhooks.parse(kind, body)


def _transaction_id(gateway_reference: str) -> int:
    """:raises GatewayError: for a reference that is not a CloudPayments id."""
    if not gateway_reference.isdigit():
        raise GatewayError("not a CloudPayments TransactionId")
    return int(gateway_reference)
