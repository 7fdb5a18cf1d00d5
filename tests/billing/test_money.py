"""Money: construction, arithmetic, comparison, multiplication and allocation."""

from __future__ import annotations

import dataclasses
import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import (
    CurrencyMismatch,
    Money,
    UnknownCurrency,
)
from tests.billing.money_strategies import (
    ROUNDINGS,
    amounts,
    monies,
)


class TestMoney:
    def test_holds_amount_and_currency(self) -> None:
        """The fields are the minor units and the code."""
        money = Money(1050, "RUB")

        assert money.amount_minor == 1050
        assert money.currency == "RUB"

    @pytest.mark.parametrize("amount", [10.5, Decimal("10"), "10", True, None])
    def test_refuses_an_amount_that_is_not_an_int(self, amount: object) -> None:
        """Floats, Decimals, strings and bools are not minor units."""
        with pytest.raises(TypeError, match="amount_minor must be an int"):
            Money(amount, "RUB")  # type: ignore[arg-type]

    def test_refuses_an_unknown_currency(self) -> None:
        """Every Money is in a known currency."""
        with pytest.raises(UnknownCurrency):
            Money(100, "rub")

    def test_is_immutable(self) -> None:
        """Money is a value: it cannot be changed in place."""
        money = Money(100, "USD")

        with pytest.raises(dataclasses.FrozenInstanceError):
            money.amount_minor = 200  # type: ignore[misc]

    def test_equal_values_are_equal_and_hash_alike(self) -> None:
        """Two Money with the same fields are the same value."""
        assert Money(100, "USD") == Money(100, "USD")
        assert hash(Money(100, "USD")) == hash(Money(100, "USD"))
        assert len({Money(100, "USD"), Money(100, "USD"), Money(100, "EUR")}) == 2

    def test_repr_shows_the_fields(self) -> None:
        """The repr is the dataclass one, usable in logs and assertions."""
        assert repr(Money(1050, "RUB")) == "Money(amount_minor=1050, currency='RUB')"

    def test_zero_is_no_money_in_the_currency(self) -> None:
        """zero() gives an amount of 0 in the given currency."""
        assert Money.zero("JPY") == Money(0, "JPY")

    def test_zero_refuses_an_unknown_currency(self) -> None:
        """zero() validates the currency too."""
        with pytest.raises(UnknownCurrency):
            Money.zero("ZZZ")

    @pytest.mark.parametrize(
        ("amount", "is_zero", "is_positive", "is_negative"),
        [(0, True, False, False), (1, False, True, False), (-1, False, False, True)],
    )
    def test_sign_properties(
        self, amount: int, is_zero: bool, is_positive: bool, is_negative: bool
    ) -> None:
        """is_zero, is_positive and is_negative follow the amount's sign."""
        money = Money(amount, "EUR")

        assert (money.is_zero, money.is_positive, money.is_negative) == (
            is_zero,
            is_positive,
            is_negative,
        )

    def test_truthiness_is_not_about_the_amount(self) -> None:
        """bool() is not overridden: callers must say is_zero when they mean it."""
        assert bool(Money.zero("USD")) is True


class TestArithmetic:
    def test_adds_amounts_in_one_currency(self) -> None:
        """+ adds the minor units."""
        assert Money(150, "USD") + Money(275, "USD") == Money(425, "USD")

    def test_subtracts_amounts_in_one_currency(self) -> None:
        """- subtracts the minor units and may go negative."""
        assert Money(150, "USD") - Money(275, "USD") == Money(-125, "USD")

    @pytest.mark.parametrize("operation", [operator.add, operator.sub])
    def test_refuses_to_combine_currencies(
        self, operation: Callable[[Money, Money], Money]
    ) -> None:
        """+ and - between currencies raise CurrencyMismatch."""
        with pytest.raises(CurrencyMismatch) as excinfo:
            operation(Money(100, "USD"), Money(100, "EUR"))

        assert excinfo.value.code == "currency_mismatch"
        assert excinfo.value.extra == {"currencies": ["USD", "EUR"]}

    @pytest.mark.parametrize("other", [1, Decimal("1.00"), 0])
    def test_does_not_add_plain_numbers(self, other: object) -> None:
        """A bare number has no currency, so it cannot be added."""
        with pytest.raises(TypeError):
            Money(100, "USD") + other  # type: ignore[operator]

    def test_negates(self) -> None:
        """Unary minus flips the sign and keeps the currency."""
        assert -Money(100, "GBP") == Money(-100, "GBP")

    def test_absolute_value(self) -> None:
        """abs() drops the sign and keeps the currency."""
        assert abs(Money(-100, "GBP")) == Money(100, "GBP")


class TestComparison:
    @pytest.mark.parametrize(
        ("operation", "expected"),
        [
            (operator.lt, [True, False, False]),
            (operator.le, [True, True, False]),
            (operator.gt, [False, False, True]),
            (operator.ge, [False, True, True]),
        ],
    )
    def test_orders_amounts_in_one_currency(
        self, operation: Callable[[Money, Money], bool], expected: list[bool]
    ) -> None:
        """Comparisons compare the minor units."""
        others = [Money(200, "USD"), Money(100, "USD"), Money(50, "USD")]

        assert [operation(Money(100, "USD"), other) for other in others] == expected

    @pytest.mark.parametrize(
        "operation", [operator.lt, operator.le, operator.gt, operator.ge]
    )
    def test_refuses_to_order_currencies(
        self, operation: Callable[[Money, Money], bool]
    ) -> None:
        """No ordering between currencies is right, so none is given."""
        with pytest.raises(CurrencyMismatch):
            operation(Money(100, "USD"), Money(100, "EUR"))

    def test_different_currencies_are_simply_unequal(self) -> None:
        """== between currencies is False rather than an error."""
        assert Money(100, "USD") != Money(100, "EUR")
        assert not Money(100, "USD") == Money(100, "EUR")  # noqa: SIM201

    def test_is_unequal_to_plain_numbers(self) -> None:
        """A Money never equals a bare number, even one of the same value."""
        zero: object = 0

        assert Money(0, "USD") != zero

    def test_does_not_order_against_plain_numbers(self) -> None:
        """Ordering against a bare number is a TypeError."""
        with pytest.raises(TypeError):
            Money(0, "USD") < 1  # type: ignore[operator]  # noqa: B015

    def test_sorts_amounts_in_one_currency(self) -> None:
        """sorted() works on amounts in one currency."""
        amounts = [Money(3, "EUR"), Money(-1, "EUR"), Money(2, "EUR")]

        assert sorted(amounts) == [Money(-1, "EUR"), Money(2, "EUR"), Money(3, "EUR")]


class TestTotal:
    def test_adds_up_the_items(self) -> None:
        """total() sums any iterable of Money."""
        items = (Money(amount, "RUB") for amount in (100, 250, -50))

        assert Money.total(items, "RUB") == Money(300, "RUB")

    def test_is_zero_in_the_currency_when_empty(self) -> None:
        """No items sum to zero in the stated currency."""
        assert Money.total([], "JPY") == Money(0, "JPY")

    def test_refuses_items_in_another_currency(self) -> None:
        """An item in another currency raises CurrencyMismatch."""
        with pytest.raises(CurrencyMismatch):
            Money.total([Money(1, "RUB"), Money(1, "USD")], "RUB")

    def test_refuses_an_unknown_currency(self) -> None:
        """The currency is validated even with no items."""
        with pytest.raises(UnknownCurrency):
            Money.total([], "rub")


class TestMultiply:
    @pytest.mark.parametrize(
        ("rounding", "half", "minus_half"),
        [
            (decimal.ROUND_FLOOR, 2, -3),
            (decimal.ROUND_CEILING, 3, -2),
            (decimal.ROUND_DOWN, 2, -2),
            (decimal.ROUND_UP, 3, -3),
            (decimal.ROUND_HALF_UP, 3, -3),
            (decimal.ROUND_HALF_DOWN, 2, -2),
            (decimal.ROUND_HALF_EVEN, 2, -2),
            (decimal.ROUND_05UP, 2, -2),
        ],
    )
    def test_rounds_ties_with_the_named_mode(
        self, rounding: str, half: int, minus_half: int
    ) -> None:
        """2.5 and -2.5 minor units round as the decimal module's modes say."""
        factor = Decimal("0.5")

        assert Money(5, "USD").multiply(factor, rounding=rounding) == Money(half, "USD")
        assert Money(-5, "USD").multiply(factor, rounding=rounding) == Money(
            minus_half, "USD"
        )

    def test_round_05up_moves_away_from_zero_after_a_zero_or_five(self) -> None:
        """ROUND_05UP only rounds up when truncation would end in 0 or 5."""
        factor = Decimal("0.1")

        assert Money(101, "USD").multiply(factor, rounding=decimal.ROUND_05UP) == Money(
            11, "USD"
        )
        assert Money(-51, "USD").multiply(factor, rounding=decimal.ROUND_05UP) == Money(
            -6, "USD"
        )

    def test_multiplies_by_an_int(self) -> None:
        """An int factor needs no rounding."""
        assert Money(150, "EUR").multiply(3, rounding=decimal.ROUND_HALF_EVEN) == Money(
            450, "EUR"
        )

    def test_multiplies_by_an_exact_fraction(self) -> None:
        """A Fraction such as 17/31 of a month is used exactly."""
        price = Money(31_00, "EUR")

        prorated = price.multiply(Fraction(17, 31), rounding=decimal.ROUND_HALF_UP)

        assert prorated == Money(17_00, "EUR")

    def test_rounds_the_exact_product_once(self) -> None:
        """0.45 rounds to 0, not to 0.5 and then to 1 as double rounding would."""
        result = Money(45, "USD").multiply(
            Fraction(1, 100), rounding=decimal.ROUND_HALF_UP
        )

        assert result == Money(0, "USD")

    def test_requires_the_rounding_mode(self) -> None:
        """rounding is a required keyword: no silent default."""
        with pytest.raises(TypeError):
            Money(100, "USD").multiply(2)  # type: ignore[call-arg]

    @pytest.mark.parametrize("rounding", ["HALF_UP", "round_half_up", ""])
    def test_refuses_an_unknown_rounding_mode(self, rounding: str) -> None:
        """Only the decimal module's ROUND_* constants are accepted."""
        with pytest.raises(ValueError, match="rounding"):
            Money(100, "USD").multiply(2, rounding=rounding)

    @pytest.mark.parametrize("factor", [1.5, True, "2"])
    def test_refuses_floats_and_other_types(self, factor: object) -> None:
        """Floats cannot hold most rates exactly, so they are refused."""
        with pytest.raises(TypeError, match="factor"):
            Money(100, "USD").multiply(factor, rounding=decimal.ROUND_HALF_UP)  # type: ignore[arg-type]

    @pytest.mark.parametrize("factor", ["NaN", "sNaN", "Infinity", "-Infinity"])
    def test_refuses_non_finite_decimals(self, factor: str) -> None:
        """NaN and infinity are not rates."""
        with pytest.raises(ValueError, match="finite"):
            Money(100, "USD").multiply(Decimal(factor), rounding=decimal.ROUND_UP)

    @given(
        amount=amounts,
        factor=st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False),
        rounding=st.sampled_from(ROUNDINGS),
    )
    def test_agrees_with_decimal_quantize(
        self, amount: int, factor: Decimal, rounding: str
    ) -> None:
        """Rounding matches Decimal.quantize on the exact product for every mode."""
        with decimal.localcontext() as context:
            context.prec = 100
            expected = (Decimal(amount) * factor).quantize(
                Decimal(1), rounding=rounding
            )

        result = Money(amount, "USD").multiply(factor, rounding=rounding)

        assert result == Money(int(expected), "USD")


class TestAllocate:
    def test_parts_sum_to_the_original(self) -> None:
        """The parts add up to the amount to the minor unit."""
        parts = Money(100, "USD").allocate([1, 1, 1])

        assert parts == [Money(34, "USD"), Money(33, "USD"), Money(33, "USD")]

    def test_leftovers_go_to_the_largest_remainders(self) -> None:
        """10 split 1:2:3 is 1.67, 3.33 and 5: the spare unit goes to 1.67."""
        parts = Money(10, "EUR").allocate([1, 2, 3])

        assert [part.amount_minor for part in parts] == [2, 3, 5]

    def test_ties_go_to_the_earlier_part(self) -> None:
        """With equal remainders the earlier parts get the spare units."""
        parts = Money(2, "EUR").allocate([1, 1, 1])

        assert [part.amount_minor for part in parts] == [1, 1, 0]

    def test_zero_ratio_gets_nothing(self) -> None:
        """A part with ratio 0 gets no money, not even a leftover unit."""
        parts = Money(3, "EUR").allocate([0, 1, 1])

        assert [part.amount_minor for part in parts] == [0, 2, 1]

    def test_splits_negative_amounts_symmetrically(self) -> None:
        """A negative amount splits like its absolute value, negated."""
        parts = Money(-100, "USD").allocate([1, 1, 1])

        assert [part.amount_minor for part in parts] == [-34, -33, -33]

    def test_keeps_the_currency(self) -> None:
        """Every part is in the original currency."""
        parts = Money(1000, "JPY").allocate([3, 7])

        assert parts == [Money(300, "JPY"), Money(700, "JPY")]

    def test_splits_zero_into_zeros(self) -> None:
        """Nothing splits into nothing."""
        assert Money(0, "USD").allocate([1, 2]) == [Money(0, "USD"), Money(0, "USD")]

    @pytest.mark.parametrize("ratios", [[], [0, 0], [1, -1], [-1]])
    def test_refuses_ratios_without_a_positive_sum(self, ratios: list[int]) -> None:
        """Ratios must be non-negative with a positive sum."""
        with pytest.raises(ValueError, match="ratios"):
            Money(100, "USD").allocate(ratios)

    @pytest.mark.parametrize("ratios", [[0.5, 0.5], [True, False], [Decimal(1)]])
    def test_refuses_ratios_that_are_not_ints(self, ratios: list[object]) -> None:
        """Ratios are ints; fractional weights would hide rounding."""
        with pytest.raises(TypeError, match="ratios"):
            Money(100, "USD").allocate(ratios)  # type: ignore[arg-type]

    @given(
        money=monies,
        ratios=st.lists(st.integers(0, 10_000), min_size=1, max_size=20).filter(any),
    )
    def test_always_sums_exactly(self, money: Money, ratios: list[int]) -> None:
        """Whatever the amount and ratios, nothing is lost or created."""
        parts = money.allocate(ratios)

        assert len(parts) == len(ratios)
        assert Money.total(parts, money.currency) == money

    @given(
        money=monies,
        ratios=st.lists(st.integers(0, 10_000), min_size=1, max_size=20).filter(any),
    )
    def test_stays_within_one_unit_of_the_exact_share(
        self, money: Money, ratios: list[int]
    ) -> None:
        """Each part is its exact share rounded down or up, never further."""
        total = sum(ratios)

        parts = money.allocate(ratios)

        for part, ratio in zip(parts, ratios, strict=True):
            exact = Fraction(abs(money.amount_minor) * ratio, total)
            assert -1 < abs(part.amount_minor) - exact < 1

    @given(
        money=monies,
        ratios=st.lists(st.integers(0, 100), min_size=1, max_size=10).filter(any),
    )
    def test_negation_mirrors_the_split(self, money: Money, ratios: list[int]) -> None:
        """Refunds split exactly like the charges they reverse."""
        assert (-money).allocate(ratios) == [-part for part in money.allocate(ratios)]

    @given(money=monies, n=st.integers(1, 50))
    def test_equal_ratios_differ_by_at_most_one_unit(
        self, money: Money, n: int
    ) -> None:
        """Equal shares are as even as minor units allow."""
        parts = money.allocate([7] * n)
        amounts = [part.amount_minor for part in parts]

        assert max(amounts) - min(amounts) <= 1
        assert sum(amounts) == money.amount_minor


class TestSplit:
    def test_splits_into_equal_parts(self) -> None:
        """split(n) is allocate with n equal ratios."""
        parts = Money(100, "USD").split(3)

        assert parts == Money(100, "USD").allocate([1, 1, 1])

    def test_splitting_in_one_returns_the_amount(self) -> None:
        """One part is the whole amount."""
        assert Money(101, "USD").split(1) == [Money(101, "USD")]

    @pytest.mark.parametrize("n", [0, -1])
    def test_refuses_fewer_than_one_part(self, n: int) -> None:
        """There is no way to split into no parts."""
        with pytest.raises(ValueError, match="at least 1"):
            Money(100, "USD").split(n)

    @pytest.mark.parametrize("n", [2.0, True])
    def test_refuses_a_count_that_is_not_an_int(self, n: object) -> None:
        """The count of parts is an int."""
        with pytest.raises(TypeError):
            Money(100, "USD").split(n)  # type: ignore[arg-type]
