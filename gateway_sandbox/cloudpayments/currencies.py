"""Currencies the sandbox terminal accepts, with CloudPayments' numeric codes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    # `CurrencyCode` in the Transaction model: RUB=0 is documented, the rest follow
    # the order of CloudPayments' currency list [INFERRED]; clients must not rely on it.
    numeric: int
    # Digits after the decimal point (ISO 4217); the ledger counts minor units with it.
    exponent: int = 2


CURRENCIES: dict[str, Currency] = {
    currency.code: currency
    for currency in (
        Currency("RUB", 0),
        Currency("USD", 1),
        Currency("EUR", 2),
        Currency("GBP", 3),
        Currency("UAH", 4),
        Currency("BYN", 5),
        Currency("KZT", 7),
        Currency("AZN", 8),
        Currency("CHF", 9),
        Currency("CZK", 10),
        Currency("CAD", 11),
        Currency("PLN", 12),
        Currency("SEK", 13),
        Currency("TRY", 14),
        Currency("CNY", 15),
        Currency("INR", 16),
    )
}

DEFAULT_CURRENCY = CURRENCIES["RUB"]


def find_currency(code: str) -> Currency | None:
    return CURRENCIES.get(code.strip().upper())


def to_minor(amount: Decimal, currency: Currency) -> int:
    """Convert a major-unit amount to minor units exactly.

    :raises ValueError: when the amount has more digits than the currency has.
    """
    scaled = amount.scaleb(currency.exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {currency.exponent} decimals")
    return int(scaled)


def format_amount(amount: Decimal, currency: Currency) -> str:
    """The notification form of an amount: a dot and every minor digit (`"10.00"`)."""
    return f"{amount:.{currency.exponent}f}"
