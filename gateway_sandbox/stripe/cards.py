"""Stripe's test cards (GATEWAYS.md C6): the magic `pm_card_*` ids and card numbers.

Everything here is data: how a card looks (brand, last4, funding) and how it behaves
when charged or set up. The payment logic asks the card, never the number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

from gateway_sandbox.cards import passes_luhn

Authentication = Literal["never", "unless_set_up", "always"]


@dataclass(frozen=True, slots=True)
class Decline:
    """How the issuer (or the card form) refuses: the codes of a 402 card_error."""

    code: str
    decline_code: str | None
    message: str


GENERIC_DECLINE = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT_FUNDS = Decline(
    "card_declined", "insufficient_funds", "Your card has insufficient funds."
)
LOST_CARD = Decline("card_declined", "lost_card", "Your card was declined.")
STOLEN_CARD = Decline("card_declined", "stolen_card", "Your card was declined.")
EXPIRED_CARD = Decline("expired_card", "expired_card", "Your card has expired.")
INCORRECT_CVC = Decline(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."
)
PROCESSING_ERROR = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
VELOCITY_EXCEEDED = Decline(
    "card_declined",
    "card_velocity_exceeded",
    "Your card was declined for making repeated attempts too frequently or "
    "exceeding its amount limit.",
)
AUTHENTICATION_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)
# Refusals of the card form itself, before any issuer is asked.
INCORRECT_NUMBER = Decline("incorrect_number", None, "Your card number is incorrect.")
INVALID_EXPIRY_MONTH = Decline(
    "invalid_expiry_month", None, "Your card's expiration month is invalid."
)
INVALID_EXPIRY_YEAR = Decline(
    "invalid_expiry_year", None, "Your card's expiration year is invalid."
)
INVALID_CVC = Decline("invalid_cvc", None, "Your card's security code is invalid.")
LIVE_CARD_IN_TEST_MODE = Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test "
    "(live) card. For a list of valid test cards, visit: "
    "https://stripe.com/docs/testing.",
)


@dataclass(frozen=True, slots=True)
class TestCard:
    """One test card: what it looks like and how its payments and set-ups end."""

    __test__ = False  # not a pytest test class, whatever its name says

    number: str
    brand: str = "visa"
    funding: str = "credit"
    country: str = "US"
    # Refused before any authentication, on payments (and on set-ups unless told).
    decline: Decline | None = None
    declines_on_setup: bool = True
    # "unless_set_up": on-session payments need 3-D Secure; off-session ones pass once
    # the card went through a SetupIntent (the 3155 card).
    authentication: Authentication = "never"
    # Refused after a successful authentication (the 3178 card).
    decline_after_authentication: Decline | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        # Stable per number, as Stripe's is per card, so duplicates can be spotted.
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]

    @property
    def needs_authentication(self) -> bool:
        return self.authentication != "never"


_VISA = TestCard("4242424242424242")
_CHARGE_DECLINED = TestCard("4000000000000002", decline=GENERIC_DECLINE)
_INSUFFICIENT = TestCard("4000000000009995", decline=INSUFFICIENT_FUNDS)
_LOST = TestCard("4000000000009987", decline=LOST_CARD)
_STOLEN = TestCard("4000000000009979", decline=STOLEN_CARD)

_CARDS: tuple[tuple[tuple[str, ...], TestCard], ...] = (
    (("pm_card_visa",), _VISA),
    (("pm_card_mastercard",), TestCard("5555555555554444", brand="mastercard")),
    (("pm_card_visa_debit",), TestCard("4000056655665556", funding="debit")),
    (("pm_card_amex",), TestCard("378282246310005", brand="amex")),
    (("pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"), _CHARGE_DECLINED),
    (
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "pm_card_visa_chargeDeclinedInsufficientFunds",
        ),
        _INSUFFICIENT,
    ),
    (("pm_card_chargeDeclinedLostCard", "pm_card_visa_chargeDeclinedLostCard"), _LOST),
    (
        ("pm_card_chargeDeclinedStolenCard", "pm_card_visa_chargeDeclinedStolenCard"),
        _STOLEN,
    ),
    (
        ("pm_card_chargeDeclinedExpiredCard", "pm_card_visa_chargeDeclinedExpiredCard"),
        TestCard("4000000000000069", decline=EXPIRED_CARD),
    ),
    (
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "pm_card_visa_chargeDeclinedIncorrectCvc",
        ),
        TestCard("4000000000000127", decline=INCORRECT_CVC),
    ),
    (
        (
            "pm_card_chargeDeclinedProcessingError",
            "pm_card_visa_chargeDeclinedProcessingError",
        ),
        TestCard("4000000000000119", decline=PROCESSING_ERROR),
    ),
    (
        (
            "pm_card_visa_chargeDeclinedVelocityLimitExceeded",
            "pm_card_chargeDeclinedVelocityLimitExceeded",
        ),
        TestCard("4000000000006975", decline=VELOCITY_EXCEEDED),
    ),
    (
        ("pm_card_chargeCustomerFail", "pm_card_visa_chargeCustomerFail"),
        TestCard("4000000000000341", decline=GENERIC_DECLINE, declines_on_setup=False),
    ),
    (
        ("pm_card_authenticationRequiredOnSetup",),
        TestCard("4000002500003155", authentication="unless_set_up"),
    ),
    (
        ("pm_card_authenticationRequired",),
        TestCard("4000002760003184", authentication="always"),
    ),
    (
        ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",),
        TestCard(
            "4000008260003178",
            authentication="unless_set_up",
            decline_after_authentication=INSUFFICIENT_FUNDS,
        ),
    ),
    (
        ("pm_card_threeDSecure2Required",),
        TestCard("4000000000003220", authentication="always"),
    ),
    (
        ("pm_card_threeDSecureRequired",),
        TestCard("4000000000003063", authentication="always"),
    ),
)

MAGIC_PAYMENT_METHODS: dict[str, TestCard] = {
    magic_id: card for magic_ids, card in _CARDS for magic_id in magic_ids
}
CARDS_BY_NUMBER: dict[str, TestCard] = {card.number: card for _, card in _CARDS}


class CardRefused(Exception):
    """The card form refused the details; `param` names the offending field."""

    def __init__(self, decline: Decline, param: str) -> None:
        super().__init__(decline.message)
        self.decline = decline
        self.param = param


def card_for_details(
    *, number: str, exp_month: int, exp_year: int, cvc: str | None, today: dt.date
) -> TestCard:
    """The test card behind typed-in details.

    :raises CardRefused: for a malformed number, expiry or CVC, a past expiry, or a
        valid number that is not a test card (Stripe's test mode refuses live cards).
    """
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not passes_luhn(digits):
        raise CardRefused(INCORRECT_NUMBER, "number")
    if not 1 <= exp_month <= 12:
        raise CardRefused(INVALID_EXPIRY_MONTH, "exp_month")
    if exp_year < 100:
        exp_year += 2000
    if exp_year > today.year + 50:
        raise CardRefused(INVALID_EXPIRY_YEAR, "exp_year")
    if (exp_year, exp_month) < (today.year, today.month):
        raise CardRefused(EXPIRED_CARD, "exp_year")
    card = CARDS_BY_NUMBER.get(digits)
    if card is None:
        raise CardRefused(LIVE_CARD_IN_TEST_MODE, "number")
    if cvc is not None:
        expected = 4 if card.brand == "amex" else 3
        if not cvc.isdigit() or len(cvc) != expected:
            raise CardRefused(INVALID_CVC, "cvc")
    return card
