"""Money as the shop's pages show it: English, with the currency's own symbol and
minor digits (`€2.50`, `$15.00`, `RUB 1,299.00`, `¥500`).

The amount goes from minor units to a `Decimal` by moving the point (never a
float); Babel knows each currency's symbol and digits. Where the symbol is letters
(`RUB`) a no-break space parts it from the number, as CLDR's currency spacing asks
and as the browser's `Intl.NumberFormat` writes it, so the totals a page computes
read like the ones the server wrote.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_symbol

from kit.currencies import ISO_4217_EXPONENTS

LOCALE = "en"
_NO_BREAK_SPACE = "\u00a0"


def money_text(amount_minor: int, currency: str) -> str:
    """`250, "EUR"` as `€2.50`."""
    exponent = ISO_4217_EXPONENTS.get(currency, 2)
    amount = Decimal(amount_minor).scaleb(-exponent)
    text = format_currency(amount, currency, locale=LOCALE, currency_digits=True)
    symbol = get_currency_symbol(currency, locale=LOCALE)
    if symbol[-1:].isalpha() and f"{symbol}{_NO_BREAK_SPACE}" not in text:
        text = text.replace(symbol, f"{symbol}{_NO_BREAK_SPACE}", 1)
    return text
