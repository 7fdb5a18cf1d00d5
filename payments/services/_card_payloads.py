"""What a new card attempt takes as a card: a gateway's payload, never a card.

The gateways' scripts turn the card into a payload in the payer's browser: Stripe.js
a PaymentMethod id (`pm_…`), CloudPayments' checkout script an RSA-encrypted
cryptogram whose visible prefix is a format version, the card's BIN, last four
digits, expiry (YYMM) and key version (GATEWAYS.md A6). Every payment or card
setup with an entered card checks its payload here before anything is saved, from
whichever interface it comes; anything else is refused with a 422 that stores and
logs nothing of it:

- a card number: 13 to 19 digits, spaces or dashes between them allowed, Luhn-valid
  or not (a mistyped number is still someone's card), refused for every gateway;
- the sandbox's `sbx1:` cryptograms (a card number in base64) unless the settings
  say the sandbox is in use (`CHECKOUT_SANDBOX_PAYLOADS`);
- a payload of another gateway's shape, or of no gateway's.
"""

from __future__ import annotations

import re

from billing.errors import DomainError

CARD_NUMBER = re.compile(r"\d(?:[ -]?\d){12,18}")
STRIPE_PAYMENT_METHOD = re.compile(r"pm_[A-Za-z0-9_]{1,250}")
# "01" + BIN (6) + last four (4) + YYMM (4) + key version (2), then base64: an RSA
# ciphertext is a few hundred characters.
CLOUDPAYMENTS_CRYPTOGRAM = re.compile(r"0[1-9]\d{16}[A-Za-z0-9+/]{64,}={0,2}")
SANDBOX_CRYPTOGRAM = re.compile(r"sbx1:[A-Za-z0-9_-]+={0,2}")

_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    "stripe": (STRIPE_PAYMENT_METHOD,),
    "cloudpayments": (CLOUDPAYMENTS_CRYPTOGRAM,),
}
# Only with the sandbox: its cryptograms for any gateway that takes cryptograms, and
# either shape for the in-memory gateway of the tests.
_SANDBOX_SHAPES: dict[str, tuple[re.Pattern[str], ...]] = {
    "cloudpayments": (SANDBOX_CRYPTOGRAM,),
    "fake": (SANDBOX_CRYPTOGRAM, STRIPE_PAYMENT_METHOD),
}


class CardPayloadRefused(DomainError):
    """The card details must come from the gateway's card form."""

    code = "card_payload_refused"


class CardNumberRefused(CardPayloadRefused):
    """Card numbers are not accepted here: enter the card in the gateway's card form."""

    code = "card_number_refused"


def check_card_payload(payload: str, *, gateway: str, sandbox: bool) -> None:
    """Refuse what is not `gateway`'s own card payload.

    Exceptions carry the field's name only, never the payload.

    :raises CardNumberRefused: for anything that looks like a card number.
    :raises CardPayloadRefused: for any other shape `gateway` does not hand out.
    """
    extra = {"field": "card_payload", "gateway": gateway}
    if CARD_NUMBER.fullmatch(payload):
        raise CardNumberRefused(extra=extra)
    shapes = _SHAPES.get(gateway, ())
    if sandbox:
        shapes += _SANDBOX_SHAPES.get(gateway, ())
    if not any(shape.fullmatch(payload) for shape in shapes):
        raise CardPayloadRefused(extra=extra)
