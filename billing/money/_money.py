"""The Money value: exact arithmetic, allocation and formatting in minor units."""

from __future__ import annotations

import decimal
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final, Self

from billing.errors import DomainError
from billing.money._currencies import currency_exponent
from billing.money._parsing import (
    AMOUNT_TEXT,
    MAX_DIGITS,
    InvalidAmount,
    minor_from_text,
)


class CurrencyMismatch(DomainError):
    """The amounts are in different currencies."""

    code = "currency_mismatch"


_ROUNDINGS: Final[frozenset[str]] = frozenset(
    getattr(decimal, name) for name in dir(decimal) if name.startswith("ROUND_")
)


def _round(value: Fraction, rounding: str) -> int:
    """Round an exact fraction to an integer the way ``Decimal.quantize`` would."""
    floor, remainder = divmod(value.numerator, value.denominator)
    if remainder == 0:
        return floor
    ceiling = floor + 1
    toward_zero, away = (floor, ceiling) if value > 0 else (ceiling, floor)
    half = 2 * remainder - value.denominator
    if rounding.startswith("ROUND_HALF") and half != 0:
        return floor if half < 0 else ceiling
    return {
        decimal.ROUND_FLOOR: floor,
        decimal.ROUND_CEILING: ceiling,
        decimal.ROUND_DOWN: toward_zero,
        decimal.ROUND_UP: away,
        decimal.ROUND_05UP: away if toward_zero % 5 == 0 else toward_zero,
        decimal.ROUND_HALF_UP: away,
        decimal.ROUND_HALF_DOWN: toward_zero,
        decimal.ROUND_HALF_EVEN: floor if floor % 2 == 0 else ceiling,
    }[rounding]


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, counted in its minor units (cents, kopecks).

    ``==`` between currencies is simply False; ``<``, ``+`` and ``-`` raise
    ``CurrencyMismatch``, since no answer would be right.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass, and True kopecks is a bug rather than an amount.
        amount = self.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(
                f"amount_minor must be an int, got {type(amount).__name__}."
            )
        currency_exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        """Return no money in ``currency``."""
        return cls(0, currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: str) -> Self:
        """Return the sum of ``items``: zero in ``currency`` when there are none.

        :raises CurrencyMismatch: if an item is in another currency.
        """
        zero, amount = cls.zero(currency), 0
        for item in items:
            zero._check_currency(item)
            amount += item.amount_minor
        return cls(amount, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Self:
        """Convert an amount in major units, such as ``Decimal("10.50")``, exactly.

        Trailing zeros past the currency's decimal places are accepted, since they
        lose nothing; any other digit there is refused rather than rounded away.

        :raises TypeError: if ``amount`` is a float or a bool.
        :raises InvalidAmount: if ``amount`` is not a finite number, is finer than the
            minor unit, or has more than 38 digits.
        :raises UnknownCurrency: if ``currency`` is not known.
        """
        exponent = currency_exponent(currency)
        if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
            raise TypeError(f"amount must be a Decimal, str or int, got {amount!r}.")
        try:
            value = Decimal(amount)
        except decimal.InvalidOperation:
            raise InvalidAmount(f"{amount!r} is not a number.") from None
        if not value.is_finite():
            raise InvalidAmount(f"{amount!r} is not a finite amount.")
        if not value:
            return cls(0, currency)
        # Integer arithmetic on the digits: Decimal arithmetic would round to the
        # context's precision.
        sign, digit_tuple, places = value.as_tuple()
        digits = "".join(map(str, digit_tuple)).rstrip("0")
        shift = int(places) + len(digit_tuple) - len(digits) + exponent
        if shift < 0:
            raise InvalidAmount(
                f"{amount} has more decimal places than {currency} allows"
                f" ({exponent}).",
                extra={"amount": str(amount), "currency": currency},
            )
        if len(digits) + shift > MAX_DIGITS:
            raise InvalidAmount(f"{amount} is too large.")
        minor = int(digits) * 10**shift
        return cls(-minor if sign else minor, currency)

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Self:
        """Read an amount typed by a person, such as ``"1 234,50 RUB"`` or ``"USD -3"``.

        The rules are few, so that nobody has to guess:

        - The currency code (uppercase) stands before or after the number. Without
          one, ``currency`` must be given; with one, it must agree with ``currency``.
        - A sign (``-``, ``+`` or U+2212 MINUS SIGN) may lead the number.
        - A dot is always the decimal point; commas then only separate thousands.
        - Without a dot, a lone comma is the decimal point (``"10,50"``), unless
          exactly three digits follow it: ``"1,234"`` is refused as ambiguous, except
          in a currency without minor units, where it can only group thousands.
        - Thousands are grouped in threes with one kind of separator: a comma, a
          space (also no-break or thin), an underscore or an apostrophe.
        - Fewer decimal places than the currency has are padded (``"10.5"`` is
          10.50); more are refused, never rounded.

        :raises InvalidAmount: if the text breaks a rule; the message says which.
        :raises UnknownCurrency: if a currency code is malformed or not known.
        :raises CurrencyMismatch: if the text names a currency other than ``currency``.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}.")
        match = AMOUNT_TEXT.fullmatch(text.strip())
        assert match is not None
        prefix, number, suffix = match.group("prefix", "number", "suffix")
        if prefix and suffix:
            raise InvalidAmount(f"{text!r} names a currency twice.")
        written = prefix or suffix
        for code in (written, currency):
            if code is not None:
                currency_exponent(code)
        if written and currency and written != currency:
            raise CurrencyMismatch(
                f"{text!r} is in {written}, expected {currency}.",
                extra={"currencies": [written, currency]},
            )
        resolved = written or currency
        if resolved is None:
            raise InvalidAmount(
                f"{text!r} names no currency before or after the amount."
            )
        return cls(minor_from_text(number, resolved, text), resolved)

    @property
    def is_zero(self) -> bool:
        return self.amount_minor == 0

    @property
    def is_positive(self) -> bool:
        return self.amount_minor > 0

    @property
    def is_negative(self) -> bool:
        return self.amount_minor < 0

    def to_decimal(self) -> Decimal:
        """Return the amount in major units, with the currency's decimal places."""
        return Decimal(self._major_units(grouped=False))

    def format(self) -> str:
        """Return a locale-independent text such as ``"1,234.50 USD"``."""
        return f"{self._major_units(grouped=True)} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def multiply(self, factor: int | Decimal | Fraction, *, rounding: str) -> Money:
        """Return the amount times ``factor``, rounded once to a whole minor unit.

        The product is exact until that rounding, so a factor such as
        ``Fraction(17, 31)`` (17 days of 31) carries no error of its own.

        :raises TypeError: if ``factor`` is a float or a bool.
        :raises ValueError: if ``factor`` is not finite or ``rounding`` is not one of
            the ``decimal.ROUND_*`` modes.
        """
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal | Fraction):
            raise TypeError(f"factor must be an int, Decimal or Fraction: {factor!r}.")
        if rounding not in _ROUNDINGS:
            raise ValueError(f"rounding must be a decimal.ROUND_* mode: {rounding!r}.")
        if isinstance(factor, Decimal) and not factor.is_finite():
            raise ValueError(f"factor must be finite, got {factor!r}.")
        exact = Fraction(self.amount_minor) * Fraction(factor)
        return Money(_round(exact, rounding), self.currency)

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split the amount in proportion to ``ratios`` into parts that sum exactly.

        Each part gets its share rounded down; the minor units left over go one each
        to the parts with the largest remainders, the earlier part winning a tie
        (the largest-remainder method). A negative amount is split like its absolute
        value, then negated, so that refunds mirror charges.

        :raises TypeError: if a ratio is not an int.
        :raises ValueError: if there are no ratios, one is negative, or all are zero.
        """
        if any(isinstance(r, bool) or not isinstance(r, int) for r in ratios):
            raise TypeError(f"ratios must be ints, got {list(ratios)!r}.")
        total = sum(ratios)
        if total <= 0 or min(ratios) < 0:
            raise ValueError(
                f"ratios must be non-negative with a positive sum: {ratios}"
            )
        magnitude = abs(self.amount_minor)
        shares = [magnitude * ratio // total for ratio in ratios]
        remainders = [magnitude * ratio % total for ratio in ratios]
        # sorted() is stable, so among equal remainders the earlier part comes first.
        by_remainder = sorted(range(len(ratios)), key=lambda i: -remainders[i])
        for index in by_remainder[: magnitude - sum(shares)]:
            shares[index] += 1
        sign = -1 if self.amount_minor < 0 else 1
        return [Money(sign * share, self.currency) for share in shares]

    def split(self, n: int) -> list[Money]:
        """Split the amount into ``n`` parts that differ by at most one minor unit.

        :raises TypeError: if ``n`` is not an int.
        :raises ValueError: if ``n`` is less than one.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {n!r}.")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}.")
        return self.allocate([1] * n)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    def __lt__(self, other: Money) -> bool:
        # total_ordering derives <=, > and >= from this, so they raise alike.
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return self.amount_minor < other.amount_minor

    def _check_currency(self, other: Money) -> None:
        """:raises CurrencyMismatch: if ``other`` is in another currency."""
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"Cannot combine {self.currency} with {other.currency}.",
                extra={"currencies": [self.currency, other.currency]},
            )

    def _major_units(self, *, grouped: bool) -> str:
        exponent = currency_exponent(self.currency)
        whole, fraction = divmod(abs(self.amount_minor), 10**exponent)
        text = f"{whole:,}" if grouped else str(whole)
        if exponent:
            text += f".{fraction:0{exponent}d}"
        return f"-{text}" if self.amount_minor < 0 else text
