"""Why a card was declined, in English words, from the code billing reports.

Billing passes on the gateway's reason: a CloudPayments reason code (`5051`) with
its message for the cardholder, which is in Russian, or a Stripe decline code
(`insufficient_funds`) with an English message. The shop speaks English to its
members, so a known code gets the shop's own words; an unknown one keeps billing's
message when it is in plain English, and is named by its code otherwise.
"""

from __future__ import annotations

from typing import Final

_NOT_APPROVED = "the bank did not approve the payment"
_CONTACT_BANK = "the card's bank refused it; ask the bank, or use another card"
_TRY_LATER = "the bank could not be reached; try again in a while"

DECLINE_REASONS: Final[dict[str, str]] = {
    # CloudPayments reason codes (docs: "Коды ошибок").
    "5001": _CONTACT_BANK,
    "5005": _NOT_APPROVED,
    "5006": _NOT_APPROVED,
    "5012": "the card does not allow this payment",
    "5014": "the card number is not valid",
    "5033": "the card has expired",
    "5036": "the card is restricted",
    "5041": _CONTACT_BANK,
    "5043": _CONTACT_BANK,
    "5051": "insufficient funds",
    "5054": "the card has expired",
    "5057": "the card does not allow this payment",
    "5061": "the amount is over the card's limit",
    "5065": "the card's limit of payments is reached",
    "5082": "the security code (CVV) is wrong",
    "5091": _TRY_LATER,
    "5092": _TRY_LATER,
    "5096": _TRY_LATER,
    "5204": _NOT_APPROVED,
    "5206": "3-D Secure authentication failed",
    "5207": "3-D Secure authentication was not available",
    "5300": _NOT_APPROVED,
    # Stripe error and decline codes.
    "card_declined": _NOT_APPROVED,
    "generic_decline": _NOT_APPROVED,
    "do_not_honor": _NOT_APPROVED,
    "insufficient_funds": "insufficient funds",
    "expired_card": "the card has expired",
    "incorrect_cvc": "the security code (CVC) is wrong",
    "incorrect_number": "the card number is not valid",
    "authentication_required": "the card asks for authentication (3-D Secure)",
    "lost_card": _CONTACT_BANK,
    "stolen_card": _CONTACT_BANK,
    "fraudulent": _NOT_APPROVED,
    "processing_error": _TRY_LATER,
}


def decline_reason(code: object, message: object = "") -> str:
    """`"5051"` as "insufficient funds"; billing's own message for a code the shop
    does not know, when it is plain English text; else the code itself."""
    code_text = str(code or "").strip()
    known = DECLINE_REASONS.get(code_text)
    if known is not None:
        return known
    message_text = str(message or "").strip()
    if message_text and message_text.isascii() and message_text.isprintable():
        return message_text
    if code_text:
        return f"the bank's reason code {code_text}"
    return "no reason given"
