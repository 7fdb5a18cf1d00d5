"""`Money` in Stripe's amount units, which follow ISO 4217 except where they do not.

Stripe counts most currencies in their ISO minor units, but treats a few as
zero-decimal that ISO gives two decimals (MGA), and wants ISK, zero-decimal in ISO,
in hundredths (docs.stripe.com/currencies, "Zero-decimal" and "Special cases").
"""

from __future__ import annotations

from typing import Final

from billing.errors import DomainError
from billing.money import Money, currency_exponent
from payments.gateways.base import GatewayError

_ZERO_DECIMAL: Final = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_HUNDREDTHS: Final = frozenset({"ISK"})


def _stripe_exponent(currency: str) -> int:
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    if currency in _HUNDREDTHS:
        return 2
    return currency_exponent(currency)


def to_stripe(money: Money) -> int:
    """The amount as Stripe's integer.

    :raises GatewayError: when Stripe cannot express it (a fraction of an ariary).
    """
    shift = _stripe_exponent(money.currency) - currency_exponent(money.currency)
    if shift >= 0:
        return money.amount_minor * 10**shift
    whole, rest = divmod(money.amount_minor, 10**-shift)
    if rest:
        raise GatewayError(f"Stripe cannot charge fractions of {money.currency}")
    return whole


def from_stripe(amount: int | None, currency: str | None) -> Money:
    """`Money` from Stripe's integer and lowercase currency.

    :raises GatewayError: for a missing, unknown or inexpressible amount.
    """
    if amount is None or not currency:
        raise GatewayError("Stripe object without amount or currency")
    code = currency.upper()
    try:
        shift = _stripe_exponent(code) - currency_exponent(code)
        if shift >= 0:
            whole, rest = divmod(amount, 10**shift)
            if rest:
                raise GatewayError(f"Stripe amount finer than the {code} minor unit")
            return Money(whole, code)
        return Money(amount * 10**-shift, code)
    except DomainError:
        raise GatewayError(f"Stripe currency not understood: {code!r}") from None
