"""Hypothesis strategies and samples of money, shared by the money tests."""

from __future__ import annotations

import decimal

from hypothesis import strategies as st

from billing.money import ISO_4217_EXPONENTS, Money

ROUNDINGS = [
    decimal.ROUND_05UP,
    decimal.ROUND_CEILING,
    decimal.ROUND_DOWN,
    decimal.ROUND_FLOOR,
    decimal.ROUND_HALF_DOWN,
    decimal.ROUND_HALF_EVEN,
    decimal.ROUND_HALF_UP,
    decimal.ROUND_UP,
]
ONE_CURRENCY_PER_EXPONENT = ["JPY", "USD", "BHD", "CLF"]

currencies = st.sampled_from(sorted(ISO_4217_EXPONENTS))
# The range of the BigIntegerField that stores amounts.
amounts = st.integers(min_value=-(2**63), max_value=2**63 - 1)
monies = st.builds(Money, amounts, currencies)
