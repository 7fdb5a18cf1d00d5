"""Money as the shop's pages show it: English, with the currency's own symbol and
minor digits (`€2.50`, `$15.00`, `RUB 1,299.00`, `¥500`).

The amount goes from minor units to a `Decimal` with `snacks.major_units` (never a
float); Babel knows each currency's symbol. Where the symbol is letters
(`RUB`) a no-break space parts it from the number, as CLDR's currency spacing asks
and as the browser's `Intl.NumberFormat` writes it, so the totals a page computes
read like the ones the server wrote.
"""

from __future__ import annotations

from babel.numbers import format_currency, get_currency_symbol

from snacks.major_units import to_major

LOCALE = "en"
_NO_BREAK_SPACE = "\u00a0"


def money_text(amount_minor: int, currency: str) -> str:
    """`250, "EUR"` as `€2.50`."""
    amount = to_major(amount_minor, currency)
    text = format_currency(amount, currency, locale=LOCALE, currency_digits=True)
    symbol = get_currency_symbol(currency, locale=LOCALE)
    if symbol[-1:].isalpha() and f"{symbol}{_NO_BREAK_SPACE}" not in text:
        text = text.replace(symbol, f"{symbol}{_NO_BREAK_SPACE}", 1)
    return text
