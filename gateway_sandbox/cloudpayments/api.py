"""The payment endpoints of GATEWAYS.md A3 (subscriptions live in `subscriptions_api`).

Each handler reads its parameters, makes one engine call and renders the envelope;
the rules about money and state are in `processing`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway_sandbox.cloudpayments.cards import AUTHENTICATION_FAILED, reason_for
from gateway_sandbox.cloudpayments.cryptogram import (
    InvalidCryptogram,
    decode_cryptogram,
)
from gateway_sandbox.cloudpayments.currencies import (
    DEFAULT_CURRENCY,
    Currency,
    find_currency,
)
from gateway_sandbox.cloudpayments.notifications import (
    NotificationSetting,
    NotificationType,
    Notifier,
)
from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.processing import (
    NOT_FOUND,
    AuthenticationRejected,
    PaymentDetails,
    PaymentEngine,
    TokenCharge,
)
from gateway_sandbox.cloudpayments.transactions import (
    STATUS_CODES,
    Status,
    Transaction,
)
from gateway_sandbox.cloudpayments.transport import Answer, Endpoint

if TYPE_CHECKING:
    from gateway_sandbox.app import SandboxConfig


def currency_param(params: Params) -> Currency:
    """:raises BadRequest: for a currency the terminal does not accept."""
    code = params.text("Currency")
    if code is None:
        return DEFAULT_CURRENCY
    currency = find_currency(code)
    if currency is None:
        raise BadRequest("Invalid Currency value")
    return currency


def transaction_answer(transaction: Transaction) -> Answer:
    """Accepted → Success; declined → `Success: false`, no Message, the full Model."""
    return Answer(
        success=transaction.status is not Status.DECLINED, model=transaction.as_model()
    )


def secure3d_model(transaction: Transaction, origin: str) -> dict[str, Any]:
    """The Secure3d model of A2.2; the SDK spots it by its missing ReasonCode key."""
    return {
        "TransactionId": transaction.id,
        "PaReq": transaction.pa_req,
        "GoReq": None,
        "AcsUrl": f"{origin}/__sandbox/cp/acs",
        "ThreeDsSessionData": None,
        "IFrameIsAllowed": True,
        "FrameWidth": None,
        "FrameHeight": None,
        "ThreeDsCallbackId": secrets.token_hex(16),
        "EscrowAccumulationId": None,
    }


def rejected_authentication(transaction_id: int | None) -> Answer:
    """A post3ds nothing waits for: still a Model, since the SDK always reads one."""
    reason = reason_for(AUTHENTICATION_FAILED)
    return Answer(
        success=False,
        model={
            "TransactionId": transaction_id,
            "ReasonCode": reason.code,
            "Reason": reason.reason,
            "CardHolderMessage": reason.cardholder_message,
            "Status": Status.DECLINED.value,
            "StatusCode": STATUS_CODES[Status.DECLINED],
        },
    )


def origin_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class PaymentsApi:
    def __init__(
        self, engine: PaymentEngine, notifier: Notifier, config: SandboxConfig
    ) -> None:
        self._engine = engine
        self._notifier = notifier
        self._config = config

    def endpoints(self) -> dict[str, Endpoint]:
        return {
            "/test": self.test,
            "/payments/cards/charge": self.charge_card,
            "/payments/cards/auth": self.auth_card,
            "/payments/cards/post3ds": self.post3ds,
            "/payments/tokens/charge": self.charge_token,
            "/payments/tokens/auth": self.auth_token,
            "/payments/confirm": self.confirm,
            "/payments/void": self.void,
            "/payments/refund": self.refund,
            "/payments/get": self.get,
            "/payments/find": self.find,
            "/v2/payments/find": self.find_any,
            "/site/notifications/{kind}/get": self.notification_setting,
            "/site/notifications/{kind}/update": self.update_notification_setting,
        }

    async def test(self, params: Params, request: web.Request) -> Answer:
        return Answer(success=True, message=str(uuid.uuid4()))

    def _details(self, params: Params, *, two_stage: bool) -> PaymentDetails:
        return PaymentDetails(
            amount=params.amount(),
            currency=currency_param(params),
            is_two_stage=two_stage,
            invoice_id=params.text("InvoiceId"),
            account_id=params.text("AccountId"),
            email=params.text("Email"),
            description=params.text("Description"),
            json_data=params.json_data(),
            ip_address=params.text("IpAddress"),
            name=params.text("Name"),
        )

    async def _pay_by_card(
        self, params: Params, request: web.Request, *, two_stage: bool
    ) -> Answer:
        details = self._details(params, two_stage=two_stage)
        params.required_text("IpAddress")
        packet = params.required_text("CardCryptogramPacket")
        try:
            card = decode_cryptogram(packet)
        except InvalidCryptogram:
            return Answer.refused("Invalid CardCryptogramPacket")
        transaction = await self._engine.pay_by_card(details, card)
        if transaction.status is Status.AWAITING_AUTHENTICATION:
            return Answer(
                success=False, model=secure3d_model(transaction, origin_of(request))
            )
        return transaction_answer(transaction)

    async def charge_card(self, params: Params, request: web.Request) -> Answer:
        return await self._pay_by_card(params, request, two_stage=False)

    async def auth_card(self, params: Params, request: web.Request) -> Answer:
        return await self._pay_by_card(params, request, two_stage=True)

    async def post3ds(self, params: Params, request: web.Request) -> Answer:
        try:
            transaction_id = params.required_integer("TransactionId")
        except BadRequest:
            return rejected_authentication(None)
        try:
            transaction = self._engine.complete_3ds(
                transaction_id, params.text("PaRes") or ""
            )
        except AuthenticationRejected:
            return rejected_authentication(transaction_id)
        return transaction_answer(transaction)

    def _pay_by_token(self, params: Params, *, two_stage: bool) -> Answer:
        details = self._details(params, two_stage=two_stage)
        params.required_text("AccountId")
        token = params.required_text("Token")
        initiator = params.integer("TrInitiatorCode")
        # Strict mode mirrors production, which requires it since 2023-08.
        if initiator is None and self._config.strict_initiator_code:
            raise BadRequest("TrInitiatorCode is required")
        if initiator not in (None, 0, 1):
            raise BadRequest("Invalid TrInitiatorCode value")
        scheduled = params.integer("PaymentScheduled")
        if scheduled not in (None, 0, 1):
            raise BadRequest("Invalid PaymentScheduled value")
        charge = TokenCharge(
            token=token, tr_initiator_code=initiator, payment_scheduled=scheduled
        )
        return transaction_answer(self._engine.pay_by_token(details, charge))

    async def charge_token(self, params: Params, request: web.Request) -> Answer:
        return self._pay_by_token(params, two_stage=False)

    async def auth_token(self, params: Params, request: web.Request) -> Answer:
        return self._pay_by_token(params, two_stage=True)

    async def confirm(self, params: Params, request: web.Request) -> Answer:
        transaction_id = params.required_integer("TransactionId")
        self._engine.confirm(transaction_id, params.amount(), params.json_data())
        return Answer(success=True)

    async def void(self, params: Params, request: web.Request) -> Answer:
        self._engine.void(params.required_integer("TransactionId"))
        return Answer(success=True)

    async def refund(self, params: Params, request: web.Request) -> Answer:
        transaction_id = params.required_integer("TransactionId")
        refund = self._engine.refund(
            transaction_id, params.amount(), params.json_data()
        )
        return Answer(success=True, model={"TransactionId": refund.id})

    async def get(self, params: Params, request: web.Request) -> Answer:
        transaction = self._engine.find(params.required_integer("TransactionId"))
        return Answer(success=True, model=transaction.as_model())

    def _find(self, params: Params, *, include_refunds: bool) -> Answer:
        invoice_id = params.required_text("InvoiceId")
        self._engine.expire_authorizations()
        transaction = self._engine.store.latest_for_invoice(
            invoice_id, include_refunds=include_refunds
        )
        if transaction is None:
            return Answer.refused(NOT_FOUND)
        return transaction_answer(transaction)

    async def find(self, params: Params, request: web.Request) -> Answer:
        return self._find(params, include_refunds=False)

    async def find_any(self, params: Params, request: web.Request) -> Answer:
        return self._find(params, include_refunds=True)

    async def notification_setting(
        self, params: Params, request: web.Request
    ) -> Answer:
        kind = _notification_kind(request)
        return Answer(success=True, model=self._notifier.setting(kind).as_model())

    async def update_notification_setting(
        self, params: Params, request: web.Request
    ) -> Answer:
        """Set where one type goes; Check too, unlike the real API [SANDBOX]."""
        kind = _notification_kind(request)
        current = self._notifier.setting(kind)
        enabled = params.boolean("IsEnabled")
        address = params.text("Address") if params.has("Address") else current.address
        if address is not None and not address.startswith(("http://", "https://")):
            raise BadRequest("Invalid Address value")
        for name, supported in (
            ("HttpMethod", "POST"),
            ("Encoding", "UTF8"),
            ("Format", "CloudPayments"),
        ):
            value = params.text(name)
            if value is not None and value.lower() != supported.lower():
                raise BadRequest(f"The sandbox supports only {name} {supported}")
        setting = NotificationSetting(
            is_enabled=address is not None if enabled is None else enabled,
            address=address,
        )
        self._notifier.configure(kind, setting)
        return Answer(success=True)


def _notification_kind(request: web.Request) -> NotificationType:
    kind = NotificationType.parse(request.match_info["kind"])
    if kind is None:
        raise BadRequest("Unknown notification type")
    return kind
