"""`kit.currencies`: the currency table every app checks and formats by."""

from __future__ import annotations

import pytest

from kit.currencies import format_minor, is_active_currency


class TestFormatMinor:
    @pytest.mark.parametrize(
        ("amount_minor", "currency", "text"),
        [
            (1250, "EUR", "12.50 EUR"),
            (5, "USD", "0.05 USD"),
            (0, "EUR", "0.00 EUR"),
            (-1250, "EUR", "-12.50 EUR"),
            (1500, "JPY", "1500 JPY"),
            (1234, "KWD", "1.234 KWD"),
            # Beyond a double's exact integers: still exact.
            (2**60 + 1, "EUR", "11529215046068469.77 EUR"),
        ],
    )
    def test_uses_the_currencys_own_minor_digits(
        self, amount_minor: int, currency: str, text: str
    ) -> None:
        assert format_minor(amount_minor, currency) == text


class TestIsActiveCurrency:
    @pytest.mark.parametrize("code", ["EUR", "JPY", "KWD"])
    def test_knows_active_codes(self, code: str) -> None:
        assert is_active_currency(code)

    @pytest.mark.parametrize("code", ["eur", "XAU", "EURO", "", None, 978])
    def test_refuses_anything_else(self, code: object) -> None:
        assert not is_active_currency(code)
