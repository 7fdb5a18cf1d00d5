"""An in-memory gateway for unit tests, in the spirit of Django's locmem e-mail backend.

It records every call, answers like a gateway that approves everything, and can be
scripted to answer otherwise, one call at a time:

    fake.script("charge", Declined(reason_code="5051", message="…", hard=False))
    fake.script("charge", OutcomeUnknown("timeout"))  # done, reply lost

A scripted `ChargeResult` (for `charge` or `capture`) is what the gateway reports,
another amount or account say, and is recorded as its record of the payment.

Scripted errors behave as at a real gateway: `Unavailable` changes nothing and is not
remembered; `OutcomeUnknown` carries the call out and then loses the reply, so a
repeat with the same key, or `find_payment`, shows what happened; `Declined` and
`RequiresAction` leave a declined or waiting payment. A repeated idempotency key
gets the first answer again and moves no money. Refunds above the captured
remainder raise `GatewayError`, as both real adapters do.

Card setups (`setup_card`, `complete_card_setup`) are kept apart from payments, in
`card_setups`, since they move no money; a `RequiresAction` scripted for
`complete_card_setup` is a payer who has not answered yet, and is not remembered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

from billing.money import Money
from payments.gateways import fake_operations, fake_webhooks
from payments.gateways.base import (
    CardDetails,
    CardSetupRequest,
    CardSetupResult,
    ChargeRequest,
    ChargeResult,
    Declined,
    EnteredCard,
    GatewayError,
    GatewayEvent,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    PaymentSnapshot,
    PaymentState,
    RefundResult,
    RequiresAction,
    Unavailable,
)
from payments.gateways.fake_revocation import FakeCardRevocation
from payments.gateways.operations import OperationsPage, RefundSnapshot

CARD: Final = CardDetails(
    brand="Visa", first6="424242", last4="4242", exp_month=12, exp_year=2030
)
SCRIPTABLE: Final = frozenset(
    {"charge", "complete_3ds", "capture", "void", "refund", "find_payment"}
    | {"setup_card", "complete_card_setup", "day_operations"}
    | {"revoke_card", "forget_customer"}
)

Answer = Any  # a result, or the GatewayError to raise
T = TypeVar("T")


class FakeGateway(FakeCardRevocation, PaymentGateway):
    """Payments in a dict; `now` is injectable so day_operations can be tested."""

    code = "fake"
    stored_payload_keys = fake_webhooks.STORED_KEYS

    def __init__(self, now: Callable[[], dt.datetime] | None = None) -> None:
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # Payments by gateway_reference, in creation order.
        self.payments: dict[str, PaymentSnapshot] = {}
        self.refunds: list[RefundSnapshot] = []
        # Card setups by gateway_reference: REQUIRES_ACTION, SUCCEEDED or DECLINED.
        self.card_setups: dict[str, PaymentState] = {}
        self._scripts: defaultdict[str, deque[Answer]] = defaultdict(deque)
        self._answers: dict[tuple[str, str], Answer] = {}
        self._capture_on_3ds: dict[str, bool] = {}
        self._ids = itertools.count(1)

    def script(self, method: str, *answers: Answer) -> None:
        """Queue answers for the next calls of `method`; then it succeeds again."""
        if method not in SCRIPTABLE:
            raise ValueError(f"{method!r} cannot be scripted")
        self._scripts[method].extend(answers)

    def _record_call(self, method: str, **kwargs: Any) -> None:
        self.calls.append((method, kwargs))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == method]

    def account_reference(self, payer: PayerAccount) -> str:
        """The payer's UUID, as CloudPayments' AccountId: every answer names it."""
        return str(payer.payer_id)

    def ensure_customer(self, payer: PayerAccount) -> PayerAccount:
        self._record_call("ensure_customer", payer=payer)
        customer = payer.customer_reference or f"cus_fake_{payer.payer_id.hex[:12]}"
        return dataclasses.replace(payer, customer_reference=customer)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        self._record_call("charge", request=request)
        return self._once(
            "charge",
            request.idempotency_key,
            lambda scripted: self._pay(request, scripted),
        )

    def _pay(self, request: ChargeRequest, scripted: Answer) -> ChargeResult:
        reference = f"fake_pay_{next(self._ids)}"
        if isinstance(scripted, Declined):
            scripted.gateway_reference = scripted.gateway_reference or reference
            self._store(reference, request, PaymentState.DECLINED, scripted.reason_code)
        elif isinstance(scripted, RequiresAction):
            reference = scripted.challenge.gateway_reference
            self._capture_on_3ds[reference] = request.capture
            self._store(reference, request, PaymentState.REQUIRES_ACTION)
        elif isinstance(scripted, ChargeResult):
            # The script says what the gateway reports; the rest is the request's.
            reference = scripted.gateway_reference
            self._store(reference, request, scripted.state, scripted=scripted)
            return dataclasses.replace(
                scripted,
                reference=scripted.reference or request.reference,
                account=self.payments[reference].account,
            )
        _raise_scripted(scripted)
        state = PaymentState.SUCCEEDED if request.capture else PaymentState.AUTHORIZED
        # A new card gets a new token; a saved card keeps its own.
        token = (
            f"tok_fake_{reference}"
            if isinstance(request.source, EnteredCard)
            else request.source.token
        )
        self._store(reference, request, state, token=token)
        return self._answer(reference, request.amount)

    def complete_3ds(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        amount: Money,
    ) -> ChargeResult:
        """Keyed by the payment, as a repeated post3ds replays at CloudPayments."""
        self._record_call("complete_3ds", gateway_reference=gateway_reference)

        def run(scripted: Answer) -> ChargeResult:
            payment = self._payment(gateway_reference, PaymentState.REQUIRES_ACTION)
            if isinstance(scripted, Declined):
                code = scripted.reason_code
                self._update(payment, state=PaymentState.DECLINED, decline_code=code)
            _raise_scripted(scripted)
            capture = self._capture_on_3ds.pop(gateway_reference, True)
            state = PaymentState.SUCCEEDED if capture else PaymentState.AUTHORIZED
            # A scripted result is what the gateway reports it took or holds.
            taken = (
                scripted.amount
                if isinstance(scripted, ChargeResult)
                else payment.amount
            )
            token = f"tok_fake_{gateway_reference}"
            captured = taken if capture else payment.captured
            self._update(payment, state=state, captured=captured, token=token)
            return self._answer(gateway_reference, taken)

        return self._once("complete_3ds", gateway_reference, run)

    def setup_card(self, request: CardSetupRequest) -> CardSetupResult:
        self._record_call("setup_card", request=request)
        return self._once("setup_card", request.idempotency_key, self._set_up)

    def _set_up(self, scripted: Answer) -> CardSetupResult:
        reference = f"fake_setup_{next(self._ids)}"
        if isinstance(scripted, Declined):
            scripted.gateway_reference = scripted.gateway_reference or reference
            self.card_setups[scripted.gateway_reference] = PaymentState.DECLINED
        elif isinstance(scripted, RequiresAction):
            reference = scripted.challenge.gateway_reference
            self.card_setups[reference] = PaymentState.REQUIRES_ACTION
        elif isinstance(scripted, CardSetupResult):
            self.card_setups[scripted.gateway_reference] = PaymentState.SUCCEEDED
            return scripted
        _raise_scripted(scripted)
        self.card_setups[reference] = PaymentState.SUCCEEDED
        return CardSetupResult(reference, token=f"tok_fake_{reference}", card=CARD)

    def complete_card_setup(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        verification_amount: Money,
    ) -> CardSetupResult:
        """Keyed by the setup, as a repeated post3ds replays at CloudPayments."""
        self._record_call(
            "complete_card_setup",
            gateway_reference=gateway_reference,
            authentication_result=authentication_result,
            verification_amount=verification_amount,
        )

        def run(scripted: Answer) -> CardSetupResult:
            waiting = self.card_setups.get(gateway_reference)
            if waiting is not PaymentState.REQUIRES_ACTION:
                raise GatewayError(f"fake: no card setup waits as {gateway_reference}")
            if isinstance(scripted, Declined):
                self.card_setups[gateway_reference] = PaymentState.DECLINED
            _raise_scripted(scripted)
            self.card_setups[gateway_reference] = PaymentState.SUCCEEDED
            token = f"tok_fake_{gateway_reference}"
            return CardSetupResult(gateway_reference, token=token, card=CARD)

        return self._once(
            "complete_card_setup",
            gateway_reference,
            run,
            unanswered=(Unavailable, RequiresAction),
        )

    def capture(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> ChargeResult:
        self._record_call("capture", gateway_reference=gateway_reference, amount=amount)

        def run(scripted: Answer) -> ChargeResult:
            payment = self._payment(gateway_reference, PaymentState.AUTHORIZED)
            # A scripted result is what the gateway reports it captured.
            taken = scripted.amount if isinstance(scripted, ChargeResult) else amount
            _raise_scripted(scripted)
            if amount > payment.amount:
                raise GatewayError("fake: capture above the authorized amount")
            self._update(
                payment, state=PaymentState.SUCCEEDED, captured=taken, capture=True
            )
            return self._answer(gateway_reference, taken)

        return self._once("capture", idempotency_key, run)

    def void(self, *, gateway_reference: str, idempotency_key: str) -> None:
        self._record_call("void", gateway_reference=gateway_reference)

        def run(scripted: Answer) -> None:
            payment = self._payment(gateway_reference, PaymentState.AUTHORIZED)
            _raise_scripted(scripted)
            self._update(payment, state=PaymentState.CANCELED)

        self._once("void", idempotency_key, run)

    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        self._record_call("refund", gateway_reference=gateway_reference, amount=amount)

        def run(scripted: Answer) -> RefundResult:
            payment = self._payment(gateway_reference, PaymentState.SUCCEEDED)
            _raise_scripted(scripted)
            if payment.refunded + amount > payment.captured:
                raise GatewayError("fake: refund above the captured remainder")
            self._update(payment, refunded=payment.refunded + amount)
            refund = RefundSnapshot(
                f"fake_refund_{next(self._ids)}",
                gateway_reference,
                amount,
                succeeded=True,
                created_at=self.now(),
            )
            self.refunds.append(refund)
            return RefundResult(refund.gateway_reference, amount)

        return self._once("refund", idempotency_key, run)

    def find_payment(self, *, reference: str) -> PaymentSnapshot | None:
        self._record_call("find_payment", reference=reference)
        scripted = self._next("find_payment")
        if isinstance(scripted, GatewayError):
            raise scripted
        found = [p for p in self.payments.values() if p.reference == reference]
        return found[-1] if found else None

    def day_operations(
        self, *, day: dt.date, cursor: str | None = None
    ) -> Iterator[OperationsPage]:
        self._record_call("day_operations", day=day, cursor=cursor)
        return fake_operations.day_pages(
            self.payments.values(),
            self.refunds,
            day=day,
            cursor=cursor,
            before_page=lambda: _raise_scripted(self._next("day_operations")),
        )

    sign = staticmethod(fake_webhooks.sign)

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        fake_webhooks.verify(body, headers)

    def parse_webhook(self, *, kind: str, body: bytes) -> GatewayEvent:
        return fake_webhooks.parse(body)

    def _once(
        self,
        method: str,
        key: str,
        run: Callable[[Answer], T],
        unanswered: tuple[type[GatewayError], ...] = (Unavailable,),
    ) -> T:
        """Carry out `run` once per key with the next scripted answer; replay after.

        `unanswered` errors (`Unavailable`) are raised before anything happens and
        are not remembered; `OutcomeUnknown` is raised after the call was carried out.
        """
        if (method, key) in self._answers:
            answer = self._answers[(method, key)]
            if isinstance(answer, GatewayError):
                raise answer
            return answer
        scripted = self._next(method)
        if isinstance(scripted, unanswered):
            raise scripted
        try:
            answer = run(scripted)
        except GatewayError as error:
            self._answers[(method, key)] = error
            raise
        self._answers[(method, key)] = answer
        if isinstance(scripted, OutcomeUnknown):
            raise scripted
        return answer

    def _next(self, method: str) -> Answer:
        queue = self._scripts[method]
        return queue.popleft() if queue else None

    def _payment(
        self, gateway_reference: str, expected: PaymentState
    ) -> PaymentSnapshot:
        payment = self.payments.get(gateway_reference)
        if payment is None or payment.state is not expected:
            raise GatewayError(f"fake: no {expected} payment {gateway_reference}")
        return payment

    def _store(
        self,
        gateway_reference: str,
        request: ChargeRequest,
        state: PaymentState,
        decline_code: str | None = None,
        token: str | None = None,
        scripted: ChargeResult | None = None,
    ) -> None:
        amount = scripted.amount if scripted else request.amount
        zero = Money.zero(amount.currency)
        self.payments[gateway_reference] = PaymentSnapshot(
            gateway_reference=gateway_reference,
            reference=request.reference,
            state=state,
            amount=amount,
            captured=amount if state is PaymentState.SUCCEEDED else zero,
            refunded=zero,
            created_at=self.now(),
            token=token,
            card=CARD,
            decline_code=decline_code,
            account=getattr(scripted, "account", None)
            or self.account_reference(request.payer),
        )

    def _answer(self, gateway_reference: str, amount: Money) -> ChargeResult:
        """The answer about a stored payment: `amount` taken or held."""
        payment = self.payments[gateway_reference]
        return ChargeResult(
            gateway_reference,
            payment.state,
            amount,
            payment.token,
            CARD,
            reference=payment.reference,
            account=payment.account,
        )

    def _update(self, payment: PaymentSnapshot, **changes: Any) -> PaymentSnapshot:
        updated = dataclasses.replace(payment, **changes)
        self.payments[payment.gateway_reference] = updated
        return updated


def _raise_scripted(scripted: Answer) -> None:
    """Raise a scripted error, except `OutcomeUnknown`: the call goes through first."""
    if isinstance(scripted, GatewayError) and not isinstance(scripted, OutcomeUnknown):
        raise scripted
