"""Prices as people read and type them ("2.50" euros), and as the shop stores them
(250 minor units): converted exactly, with `Decimal` and the currency's exponent
from ISO 4217 (`kit/currencies.py`), never through a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from kit.currencies import ISO_4217_EXPONENTS

# The largest amount a price column holds (a signed 64-bit integer).
MAX_AMOUNT_MINOR: Final = 2**63 - 1


class TooManyDecimals(ValueError):
    """The amount has more decimals than its currency's minor unit."""


def exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has (2 for EUR, 0 for JPY)."""
    return ISO_4217_EXPONENTS[currency]


def to_minor(amount: Decimal, currency: str) -> int:
    """`Decimal("2.50"), "EUR"` as `250`; `Decimal("500"), "JPY"` as `500`.

    :raises TooManyDecimals: when `amount` is finer than the currency's minor unit
        (`2.505` euros); trailing zeros are not refused (`2.500` euros is `250`).
    """
    minor = amount.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise TooManyDecimals(amount)
    return int(minor)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """`250, "EUR"` as `Decimal("2.50")`, with the currency's own decimals."""
    places = exponent(currency)
    return Decimal(amount_minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
