"""Money as a whole number of an ISO 4217 currency's minor units.

Amounts never pass through ``float``: a binary fraction cannot hold 0.10 exactly, and
a kopeck lost on each of a million invoices is still lost. Major units (``Decimal``
or text) appear only at the edges, through ``from_decimal``, ``to_decimal``,
``parse`` and ``format``.
"""

from billing.money._currencies import (
    ISO_4217_EXPONENTS,
    UnknownCurrency,
    currency_exponent,
)
from billing.money._money import CurrencyMismatch, Money
from billing.money._parsing import InvalidAmount

__all__ = [
    "ISO_4217_EXPONENTS",
    "CurrencyMismatch",
    "InvalidAmount",
    "Money",
    "UnknownCurrency",
    "currency_exponent",
]
