"""The gateway contract: what billing needs from a card gateway, and nothing of any SDK.

Every adapter (`cloudpayments.py`, `stripe.py`, `fake.py`) implements `PaymentGateway`
and turns its SDK's answers into these frozen types and typed errors, so the services
never see an SDK object and the fake cannot drift from the real adapters.

Errors say what the caller may do next:

- `Declined`: the gateway said no; show `message` to the payer. `hard` declines (lost,
  stolen, expired card, "do not honor") must not be retried with the same card.
- `RequiresAction`: the payer must pass 3-D Secure; `challenge` says where to send them.
- `Unavailable`: nothing happened at the gateway (refused connection, 5xx before
  processing, 429); the same call may be repeated with the same idempotency key.
- `OutcomeUnknown`: the request may have been carried out (timeout, reply lost). Never
  repeat blindly: ask the gateway with `find_payment` first.
- `GatewayError`: anything unanticipated; logged with its traceback.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from billing.money import Money
from payments.gateways.revocation import CardRevocation

if TYPE_CHECKING:
    from payments.gateways.operations import OperationsPage


class GatewayError(Exception):
    """The gateway answered in a way the adapter did not anticipate."""


class Declined(GatewayError):
    """The gateway declined the operation."""

    def __init__(
        self,
        *,
        reason_code: str,
        message: str,
        hard: bool,
        gateway_reference: str | None = None,
    ) -> None:
        super().__init__(f"declined: {reason_code}")
        self.reason_code = reason_code
        # Safe to show to the payer: the gateway's card-holder text, never internals.
        self.message = message
        self.hard = hard
        self.gateway_reference = gateway_reference


class RequiresAction(GatewayError):
    """The payer must authenticate (3-D Secure) before the payment can complete."""

    def __init__(self, challenge: ThreeDsChallenge) -> None:
        super().__init__("3-D Secure authentication required")
        self.challenge = challenge


class Unavailable(GatewayError):
    """Nothing was done; the same call may be retried with the same idempotency key."""


class OutcomeUnknown(GatewayError):
    """The call may or may not have been carried out; settle it with `find_payment`."""


class InvalidSignature(GatewayError):
    """A webhook's signature is missing or wrong: nothing in it may be trusted."""


class PaymentState(enum.StrEnum):
    """Where a payment stands at the gateway."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What may be shown of a card: never the number, never the CVV."""

    brand: str
    first6: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True, slots=True)
class PayerAccount:
    """The payer as the gateway knows them."""

    payer_id: UUID
    # Stripe's Customer id; CloudPayments keys tokens by AccountId (the payer UUID).
    customer_reference: str | None = None


@dataclass(frozen=True, slots=True)
class EnteredCard:
    """A card the payer just entered in the gateway's widget.

    `payload` is the CloudPayments cryptogram or the Stripe PaymentMethod id.
    """

    # Out of `repr`, as every secret or personal field of these types is: a repr
    # ends up in tracebacks' local variables, log lines and error reports.
    payload: str = field(repr=False)
    cardholder_name: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SavedCard:
    """A card saved by an earlier payment: the gateway's token for it."""

    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """Charge or, with `capture=False`, only authorize an amount."""

    # Our reference for the paid object (`payment:<uuid>`): CloudPayments' InvoiceId,
    # Stripe's metadata[reference]; how reconciliation finds the payment later.
    reference: str
    idempotency_key: str
    amount: Money
    payer: PayerAccount
    source: EnteredCard | SavedCard
    capture: bool = True
    description: str = ""
    ip_address: str | None = field(default=None, repr=False)
    # Where 3-D Secure sends the payer back (CloudPayments TermUrl, Stripe return_url).
    return_url: str | None = None
    # Merchant-initiated (off-session) charges: recurring renewals and retries.
    merchant_initiated: bool = False
    # A charge on a subscription's agreed schedule (CloudPayments PaymentScheduled).
    scheduled: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """An accepted charge (`SUCCEEDED`) or authorization (`AUTHORIZED`).

    `amount` is what the gateway reports it took (`SUCCEEDED`) or holds
    (`AUTHORIZED`), not what was asked: the settlement rule compares the two.
    `reference` and `account` are what the gateway reports as our reference and as
    the payer's account (see `PaymentGateway.account_reference`): None when the
    answer does not carry them, "" when the gateway's record has none.
    """

    gateway_reference: str
    state: PaymentState
    amount: Money
    # The token to save for later charges; None when the gateway issued none.
    token: str | None = field(default=None, repr=False)
    card: CardDetails | None = None
    reference: str | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class CardSetupRequest:
    """Verify an entered card and keep it for later charges, taking no money."""

    # Our reference for the setup (`card_setup:<uuid>`): CloudPayments' InvoiceId,
    # Stripe's metadata[reference].
    reference: str
    idempotency_key: str
    payer: PayerAccount
    card: EnteredCard
    # What CloudPayments authorizes and then voids to prove the card (1.00 of the
    # currency, say); Stripe verifies through a SetupIntent and ignores it.
    verification_amount: Money
    ip_address: str | None = field(default=None, repr=False)
    # Where 3-D Secure sends the payer back (CloudPayments TermUrl, Stripe return_url).
    return_url: str | None = None


@dataclass(frozen=True, slots=True)
class CardSetupResult:
    """A verified card: the token to charge it with later, and what may be shown."""

    gateway_reference: str
    token: str = field(repr=False)
    card: CardDetails | None = None


@dataclass(frozen=True, slots=True)
class ThreeDsChallenge:
    """Where to send the payer to authenticate.

    CloudPayments wants a form POSTed to `url` with `form_fields` (PaReq, MD) plus
    TermUrl; Stripe gives a URL to redirect to (`form_fields` empty).
    """

    gateway_reference: str
    url: str
    # PaReq and MD: the issuer's authentication request for this card.
    form_fields: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class RefundResult:
    gateway_reference: str
    amount: Money


@dataclass(frozen=True, slots=True)
class PaymentSnapshot:
    """The gateway's own record of a payment, for settling unknowns and reconciling.

    `account` is the payer's account as the gateway records it ("" for none; None
    when the adapter cannot tell), as in `ChargeResult`.
    """

    gateway_reference: str
    reference: str | None
    state: PaymentState
    amount: Money
    captured: Money
    refunded: Money
    created_at: dt.datetime
    token: str | None = field(default=None, repr=False)
    card: CardDetails | None = None
    decline_code: str | None = None
    account: str | None = None
    # Money taken by capturing an earlier authorization, as in `GatewayEvent`.
    capture: bool = False
    fee: Money | None = None  # where the gateway reports one (CloudPayments' TotalFee)


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """A verified, parsed webhook or notification.

    `amount` is the money the event reports moved: captured for a success (Stripe's
    `amount_received`), held for an authorization. `account` is the payer's account
    it names, as in `ChargeResult` (None: the message has no such field).
    """

    # Unique per gateway together with `type`: duplicates are dropped on it.
    external_id: str
    type: str
    gateway_reference: str | None
    reference: str | None
    state: PaymentState | None
    amount: Money | None
    # The body with tokens and other secrets removed: safe to store and show.
    safe_payload: Mapping[str, object]
    account: str | None = None
    # The event reports the capture of an earlier authorization (CloudPayments'
    # Confirm, a Stripe manual-capture intent), which may take less than was held.
    capture: bool = False


class PaymentGateway(CardRevocation, abc.ABC):
    """A card gateway. Every call has a timeout and raises the errors of this module.

    Methods that move money take an `idempotency_key` derived from our own row and
    saved before the call, so a repeated call is answered, not carried out again.
    `setup_card` moves none for good, but its request carries a key too: a repeat
    must not authorize the card twice. Forgetting a payer: see `revocation`.
    """

    code: str
    # The keys of this gateway's webhook messages that are stored (at any depth):
    # an allow-list, so that personal data (name, e-mail, phone, address, IP, free
    # text) is never written down. Every key `parse_webhook` reads must be here.
    stored_payload_keys: frozenset[str]
    # Whether the gateway keeps payers as customers of its own (Stripe), whose
    # reference `PayerAccount.customer_reference` holds.
    has_customers: bool = False
    # Whether `PaymentSnapshot.refunded` is the exact sum, not "fully refunded or not".
    reports_partial_refunds: bool = True

    @abc.abstractmethod
    def ensure_customer(self, payer: PayerAccount) -> PayerAccount:
        """The payer with the gateway's customer reference, created if needed."""

    @abc.abstractmethod
    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge or authorize a card.

        :raises Declined, RequiresAction, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def complete_3ds(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        amount: Money,
    ) -> ChargeResult:
        """Finish a payment after 3-D Secure (CloudPayments PaRes; Stripe needs none).

        :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def setup_card(self, request: CardSetupRequest) -> CardSetupResult:
        """Verify a card the payer just entered and save it, without charging it.

        CloudPayments authorizes `request.verification_amount` and voids it at once;
        Stripe confirms an off-session SetupIntent for the payer's Customer.

        :raises Declined, RequiresAction, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def complete_card_setup(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        verification_amount: Money,
    ) -> CardSetupResult:
        """Finish a card setup after 3-D Secure (CloudPayments PaRes; Stripe none).

        `RequiresAction` means the payer has not answered the challenge yet.

        :raises Declined, RequiresAction, Unavailable, OutcomeUnknown, GatewayError:
        """

    def account_reference(self, payer: PayerAccount) -> str | None:
        """How this gateway's answers name the payer's account (Stripe's Customer).

        None when it is not known yet: the settlement rule then cannot compare it.
        """
        return payer.customer_reference

    @abc.abstractmethod
    def capture(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> ChargeResult:
        """Capture an authorization in full or in part; the capture as reported.

        A gateway whose answer carries no record reports what it was asked.

        :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def void(self, *, gateway_reference: str, idempotency_key: str) -> None:
        """Release an authorization.

        :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Refund a captured payment in full or in part.

        :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def find_payment(self, *, reference: str) -> PaymentSnapshot | None:
        """The latest payment the gateway holds under our reference, or None.

        :raises Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def day_operations(
        self, *, day: dt.date, cursor: str | None = None
    ) -> Iterator[OperationsPage]:
        """The payments and refunds created on the UTC `day`, after `cursor`.

        :raises Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        """Check the signature over the raw body, in constant time.

        :raises InvalidSignature:
        """

    @abc.abstractmethod
    def parse_webhook(self, *, kind: str, body: bytes) -> GatewayEvent:
        """Parse a verified webhook; `kind` is CloudPayments' notification type or "".

        :raises GatewayError: when the body is not a notification this gateway sends.
        """
