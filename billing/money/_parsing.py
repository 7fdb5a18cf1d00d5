"""Reading amounts people type: signs, decimal points and thousands separators."""

from __future__ import annotations

import re
from typing import Final

from billing.errors import DomainError
from billing.money._currencies import currency_exponent


class InvalidAmount(DomainError):
    """The amount cannot be expressed in the currency's minor units."""

    code = "invalid_amount"


# Bounds the work that hostile input such as "1E+999999999" can cause; the largest
# amount a BigIntegerField holds has 19 digits.
MAX_DIGITS: Final = 38
_DIGITS: Final = "0123456789"
_SIGNS: Final = {"+": 1, "-": -1, "\N{MINUS SIGN}": -1}
# What people put between thousands besides a comma: space, no-break space, thin
# space, narrow no-break space (French, SI), underscore (Python), apostrophes (Swiss).
_GROUP_SEPARATORS: Final = " \u00a0\u2009\u202f_'\u2019"
# The lazy number can swallow anything, so this always matches; the parts are checked
# afterwards so that the error can say precisely what is wrong.
AMOUNT_TEXT: Final = re.compile(
    r"(?P<prefix>[^\W\d_]+)?\s*(?P<number>.*?)\s*(?P<suffix>[^\W\d_]+)?", re.DOTALL
)


def _integer_digits(whole: str, text: str) -> str:
    """Return the digits of ``whole`` once its thousands grouping is checked."""
    separators = {char for char in whole if char not in _DIGITS}
    if not whole:
        raise InvalidAmount(f"{text!r} needs digits before the decimal point.")
    if len(separators) > 1:
        raise InvalidAmount(f"{text!r} mixes different thousands separators.")
    groups = whole.split(separators.pop()) if separators else [whole]
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:])
    ):
        raise InvalidAmount(f"{text!r} must group thousands in threes.")
    return "".join(groups)


def minor_from_text(number: str, currency: str, text: str) -> int:
    """Return the signed minor units written in ``number`` (see ``Money.parse``)."""
    exponent = currency_exponent(currency)
    sign = _SIGNS.get(number[:1], 0)
    digits = number[1:] if sign else number
    if not digits:
        raise InvalidAmount(f"{text!r} has no amount.")
    allowed = f"{_DIGITS}.,{_GROUP_SEPARATORS}"
    if unexpected := [char for char in digits if char not in allowed]:
        raise InvalidAmount(f"{text!r} has an unexpected {unexpected[0]!r}.")
    if digits.count(".") > 1:
        raise InvalidAmount(f"{text!r} has more than one decimal point.")
    whole, point, fraction = digits.partition(".")
    if not point and digits.count(",") == 1:
        whole, point, fraction = digits.partition(",")
        if len(fraction) == 3 and exponent == 0:
            whole, point, fraction = digits, "", ""
        elif len(fraction) == 3:
            raise InvalidAmount(
                f"{text!r} is ambiguous: the comma could separate decimals or"
                " thousands; write the decimal point as a dot."
            )
    if point and (not fraction or any(char not in _DIGITS for char in fraction)):
        raise InvalidAmount(f"{text!r} needs only digits after the decimal point.")
    if len(fraction) > exponent:
        raise InvalidAmount(
            f"{text!r} has more decimal places than {currency} allows ({exponent})."
        )
    integer = _integer_digits(whole, text).lstrip("0") or "0"
    if len(integer) + exponent > MAX_DIGITS:
        raise InvalidAmount(f"{text!r} is too large.")
    return (sign or 1) * int(integer + fraction.ljust(exponent, "0"))
