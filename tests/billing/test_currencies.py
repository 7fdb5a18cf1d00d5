"""The currencies money may be in: ISO 4217 codes and their minor units."""

from __future__ import annotations

import pytest

from billing.money import (
    ISO_4217_EXPONENTS,
    UnknownCurrency,
    currency_exponent,
)


class TestCurrencyExponent:
    @pytest.mark.parametrize(
        "code",
        [
            "JPY",
            "KRW",
            "VND",
            "CLP",
            "ISK",
            "UGX",
            "XAF",
            "XOF",
            "XPF",
            "PYG",
            "RWF",
            "KMF",
            "GNF",
            "DJF",
            "BIF",
            "VUV",
            "UYI",
        ],
    )
    def test_knows_currencies_without_minor_units(self, code: str) -> None:
        """Currencies such as the yen have no minor unit."""
        assert currency_exponent(code) == 0

    @pytest.mark.parametrize("code", ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
    def test_knows_currencies_with_three_decimals(self, code: str) -> None:
        """The dinars and the rial have thousandths."""
        assert currency_exponent(code) == 3

    @pytest.mark.parametrize("code", ["CLF", "UYW"])
    def test_knows_currencies_with_four_decimals(self, code: str) -> None:
        """Index units such as the Unidad de Fomento have four decimals."""
        assert currency_exponent(code) == 4

    @pytest.mark.parametrize(
        "code", ["USD", "EUR", "RUB", "GBP", "CHF", "CNY", "INR", "BRL", "XCG"]
    )
    def test_knows_common_currencies_with_two_decimals(self, code: str) -> None:
        """Most currencies count hundredths."""
        assert currency_exponent(code) == 2

    def test_lists_every_code_explicitly(self) -> None:
        """The table holds all active codes with only ISO's exponents."""
        assert len(ISO_4217_EXPONENTS) > 150
        assert set(ISO_4217_EXPONENTS.values()) == {0, 2, 3, 4}

    @pytest.mark.parametrize("code", ["XYZ", "ABC", "XAU", "XDR", "XTS", "XXX"])
    def test_refuses_unknown_codes_and_non_currencies(self, code: str) -> None:
        """Codes outside the table, including funds and metals, are refused."""
        with pytest.raises(UnknownCurrency) as excinfo:
            currency_exponent(code)

        assert excinfo.value.code == "unknown_currency"
        assert excinfo.value.http_status == 422

    @pytest.mark.parametrize("code", ["rub", "Rub", "RU", "RUBL", "", " RUB", "R1B"])
    def test_refuses_badly_formed_codes_without_fixing_them(self, code: str) -> None:
        """A lowercase or padded code is an error, not something to uppercase."""
        with pytest.raises(UnknownCurrency, match="three uppercase letters"):
            currency_exponent(code)

    def test_refuses_a_code_that_is_not_a_string(self) -> None:
        """A non-string code is refused like any malformed one."""
        with pytest.raises(UnknownCurrency):
            currency_exponent(643)  # type: ignore[arg-type]

    def test_table_cannot_be_changed_at_run_time(self) -> None:
        """The table is read-only, so no caller can redefine a currency."""
        with pytest.raises(TypeError):
            ISO_4217_EXPONENTS["USD"] = 3  # type: ignore[index]
