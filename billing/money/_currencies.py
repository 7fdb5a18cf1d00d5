"""The currencies money may be in: ISO 4217's active codes and their minor units."""

from __future__ import annotations

from billing.errors import DomainError
from kit.currencies import CURRENCY_CODE, ISO_4217_EXPONENTS

__all__ = ["ISO_4217_EXPONENTS", "UnknownCurrency", "currency_exponent"]


class UnknownCurrency(DomainError):
    """The currency is not an active ISO 4217 currency code."""

    code = "unknown_currency"


def currency_exponent(code: str) -> int:
    """Return the number of decimal places of the currency's minor unit.

    :raises UnknownCurrency: if the code is not three uppercase letters or not listed.
    """
    # A lowercase code is refused rather than fixed, so it is caught where it is made.
    if not isinstance(code, str) or not CURRENCY_CODE.fullmatch(code):
        raise UnknownCurrency(
            f"A currency code is three uppercase letters, got {code!r}.",
            extra={"currency": str(code)},
        )
    if code not in ISO_4217_EXPONENTS:
        raise UnknownCurrency(f"{code} is not an active ISO 4217 currency.")
    return ISO_4217_EXPONENTS[code]
