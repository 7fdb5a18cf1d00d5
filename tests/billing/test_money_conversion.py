"""Money to and from major units: decimals, formatting and parsing typed text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given

from billing.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    UnknownCurrency,
)
from tests.billing.money_strategies import (
    ONE_CURRENCY_PER_EXPONENT,
    amounts,
    monies,
)


class TestFromDecimal:
    @pytest.mark.parametrize(
        ("amount", "currency", "minor"),
        [
            (Decimal("10.50"), "RUB", 1050),
            ("10.5", "RUB", 1050),
            (10, "RUB", 1000),
            (Decimal("1050"), "JPY", 1050),
            ("0.125", "BHD", 125),
            ("-3", "EUR", -300),
            ("1.2345", "CLF", 12345),
            ("1E+2", "USD", 10000),
            (Decimal("-0.00"), "USD", 0),
            (Decimal("0E-30"), "USD", 0),
        ],
    )
    def test_converts_major_units_exactly(
        self, amount: Decimal | str | int, currency: str, minor: int
    ) -> None:
        """Major units become minor units with no rounding."""
        assert Money.from_decimal(amount, currency) == Money(minor, currency)

    def test_accepts_trailing_zeros_past_the_exponent(self) -> None:
        """10.500 roubles lose nothing as 1050 kopecks, so they are accepted."""
        assert Money.from_decimal(Decimal("10.500"), "RUB") == Money(1050, "RUB")

    def test_is_exact_beyond_the_decimal_context_precision(self) -> None:
        """Amounts with more digits than the context's 28 are not rounded."""
        amount = Decimal("1234567890123456789012345678901.23")

        money = Money.from_decimal(amount, "USD")

        assert money.amount_minor == 123456789012345678901234567890123

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [("10.505", "RUB"), ("1.5", "JPY"), ("0.0001", "BHD"), ("1.00001", "CLF")],
    )
    def test_refuses_more_decimal_places_than_the_currency_has(
        self, amount: str, currency: str
    ) -> None:
        """Digits finer than the minor unit are refused, never rounded away."""
        with pytest.raises(InvalidAmount, match="more decimal places") as excinfo:
            Money.from_decimal(amount, currency)

        assert excinfo.value.code == "invalid_amount"
        assert excinfo.value.http_status == 422

    @pytest.mark.parametrize("amount", [10.5, 10.0, True])
    def test_refuses_floats_and_bools(self, amount: object) -> None:
        """A float has already lost the exact amount, so it is a TypeError."""
        with pytest.raises(TypeError):
            Money.from_decimal(amount, "USD")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "amount",
        [Decimal("NaN"), Decimal("-Infinity"), "Infinity", "NaN", "sNaN", "-inf"],
    )
    def test_refuses_nan_and_infinity(self, amount: Decimal | str) -> None:
        """Non-finite values are not amounts."""
        with pytest.raises(InvalidAmount, match="finite"):
            Money.from_decimal(amount, "USD")

    @pytest.mark.parametrize("amount", ["ten", "", "10,50", "1.2.3"])
    def test_refuses_text_that_is_not_a_number(self, amount: str) -> None:
        """Text must be a plain decimal number; parse() is for human input."""
        with pytest.raises(InvalidAmount, match="not a number"):
            Money.from_decimal(amount, "USD")

    @pytest.mark.parametrize("amount", ["1E+999999999", "-1E+40", "1E-999999999"])
    def test_refuses_extreme_exponents_quickly(self, amount: str) -> None:
        """Hostile exponents are refused without computing huge powers of ten."""
        with pytest.raises(InvalidAmount):
            Money.from_decimal(amount, "USD")

    def test_refuses_an_unknown_currency(self) -> None:
        """The currency is validated."""
        with pytest.raises(UnknownCurrency):
            Money.from_decimal("1", "usd")

    @given(money=monies)
    def test_round_trips_through_to_decimal(self, money: Money) -> None:
        """from_decimal(to_decimal(m)) == m for every currency."""
        assert Money.from_decimal(money.to_decimal(), money.currency) == money


class TestToDecimal:
    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [
            (1050, "RUB", "10.50"),
            (1050, "JPY", "1050"),
            (125, "BHD", "0.125"),
            (-5, "USD", "-0.05"),
            (0, "USD", "0.00"),
            (1, "CLF", "0.0001"),
        ],
    )
    def test_has_exactly_the_currency_decimal_places(
        self, minor: int, currency: str, text: str
    ) -> None:
        """The Decimal is quantised to the exponent, so str() shows every place."""
        result = Money(minor, currency).to_decimal()

        assert result == Decimal(text)
        assert str(result) == text

    def test_is_exact_beyond_the_decimal_context_precision(self) -> None:
        """Large amounts are not rounded to 28 digits."""
        money = Money(123456789012345678901234567890123, "USD")

        assert str(money.to_decimal()) == "1234567890123456789012345678901.23"


class TestFormat:
    @pytest.mark.parametrize(
        ("minor", "currency", "text"),
        [
            (123450, "USD", "1,234.50 USD"),
            (-300, "EUR", "-3.00 EUR"),
            (1050, "JPY", "1,050 JPY"),
            (125, "BHD", "0.125 BHD"),
            (0, "USD", "0.00 USD"),
            (-5, "USD", "-0.05 USD"),
            (123456789, "RUB", "1,234,567.89 RUB"),
            (12345, "CLF", "1.2345 CLF"),
        ],
    )
    def test_writes_a_stable_human_format(
        self, minor: int, currency: str, text: str
    ) -> None:
        """Comma thousands, dot decimals and the code after, whatever the locale."""
        assert Money(minor, currency).format() == text

    def test_str_is_the_format(self) -> None:
        """str() gives the same text as format()."""
        assert str(Money(123450, "USD")) == "1,234.50 USD"


class TestParse:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("10.50 RUB", Money(1050, "RUB")),
            ("RUB 10.50", Money(1050, "RUB")),
            ("10,50 RUB", Money(1050, "RUB")),
            ("10,5 RUB", Money(1050, "RUB")),
            ("10.5 RUB", Money(1050, "RUB")),
            ("10 RUB", Money(1000, "RUB")),
            ("1 234.50 USD", Money(123450, "USD")),
            ("1\u00a0234,50 EUR", Money(123450, "EUR")),
            ("1\u2009234.50 EUR", Money(123450, "EUR")),
            ("1\u202f234\u202f567,89 EUR", Money(123456789, "EUR")),
            ("1_234.50 USD", Money(123450, "USD")),
            ("1'234.50 CHF", Money(123450, "CHF")),
            ("1\u2019234.50 CHF", Money(123450, "CHF")),
            ("1,234.50 USD", Money(123450, "USD")),
            ("1,234,567 USD", Money(123456700, "USD")),
            ("1,050 JPY", Money(1050, "JPY")),
            ("-3.00 EUR", Money(-300, "EUR")),
            ("EUR -3.00", Money(-300, "EUR")),
            ("\u22123.00 EUR", Money(-300, "EUR")),
            ("+3 EUR", Money(300, "EUR")),
            ("0.125 BHD", Money(125, "BHD")),
            ("  10.50RUB  ", Money(1050, "RUB")),
            ("USD0.99", Money(99, "USD")),
        ],
    )
    def test_reads_common_human_formats(self, text: str, expected: Money) -> None:
        """Code before or after, dot or lone comma decimals, grouped thousands."""
        assert Money.parse(text) == expected

    def test_reads_a_bare_number_when_the_currency_is_given(self) -> None:
        """The currency argument supplies a code the text leaves out."""
        assert Money.parse("10.50", "RUB") == Money(1050, "RUB")

    def test_accepts_a_code_that_agrees_with_the_argument(self) -> None:
        """Naming the same currency twice is fine."""
        assert Money.parse("10.50 RUB", "RUB") == Money(1050, "RUB")

    def test_refuses_a_code_that_disagrees_with_the_argument(self) -> None:
        """Text in dollars is not read as roubles."""
        with pytest.raises(CurrencyMismatch, match="expected RUB"):
            Money.parse("10.50 USD", "RUB")

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("1,234 USD", "ambiguous"),
            ("0,125 BHD", "ambiguous"),
            ("10.505 RUB", "more decimal places than RUB allows (2)"),
            ("10,5 JPY", "more decimal places than JPY allows (0)"),
            ("10.50", "names no currency"),
            ("", "names no currency"),
            ("RUB", "has no amount"),
            ("RUB -", "has no amount"),
            ("EUR 10 USD", "names a currency twice"),
            ("1.234,50 EUR", "only digits after the decimal point"),
            ("10. RUB", "only digits after the decimal point"),
            (".5 RUB", "digits before the decimal point"),
            ("1.2.3 RUB", "more than one decimal point"),
            ("1 234_567 RUB", "mixes different thousands separators"),
            ("1,23,456.00 INR", "group thousands in threes"),
            ("12 34 RUB", "group thousands in threes"),
            ("1234,567.00 USD", "group thousands in threes"),
            ("1e5 USD", "unexpected 'e'"),
            ("10 RUB 50", "no currency before or after"),
            ("10 R 50 RUB", "unexpected 'R'"),
            ("1 234\u00a0567 RUB", "mixes different thousands separators"),
            ("$10.50 USD", "unexpected '$'"),
            ("--3 EUR", "unexpected '-'"),
            ("1" * 40 + " USD", "too large"),
        ],
    )
    def test_refuses_malformed_or_ambiguous_text(self, text: str, problem: str) -> None:
        """Each rule broken is reported with a message that says which."""
        with pytest.raises(InvalidAmount) as excinfo:
            Money.parse(text)

        assert problem in excinfo.value.message
        assert excinfo.value.code == "invalid_amount"

    @pytest.mark.parametrize(
        "text", ["10 XYZ", "10 rub", "Rub 10", "10 \u0440\u0443\u0431"]
    )
    def test_refuses_unknown_or_lowercase_codes(self, text: str) -> None:
        """Codes in the text are validated, not uppercased."""
        with pytest.raises(UnknownCurrency):
            Money.parse(text)

    def test_refuses_an_unknown_currency_argument(self) -> None:
        """The currency argument is validated as well."""
        with pytest.raises(UnknownCurrency):
            Money.parse("10", "XYZ")

    def test_refuses_text_that_is_not_a_string(self) -> None:
        """Only text is parsed; numbers go through from_decimal."""
        with pytest.raises(TypeError):
            Money.parse(10)  # type: ignore[arg-type]

    @pytest.mark.parametrize("currency", ONE_CURRENCY_PER_EXPONENT)
    @given(amount=amounts)
    def test_reads_back_what_format_writes_for_each_exponent(
        self, currency: str, amount: int
    ) -> None:
        """parse(format(m)) == m for exponents 0, 2, 3 and 4."""
        money = Money(amount, currency)

        assert Money.parse(money.format()) == money

    @given(money=monies)
    def test_reads_back_what_format_writes_for_every_currency(
        self, money: Money
    ) -> None:
        """parse(format(m)) == m across the whole table."""
        assert Money.parse(money.format()) == money
