"""ISO 4217's active currency codes and their minor units, for every app.

The table sits in the kit so that the shop, which imports no billing code, checks
its prices against the same list that billing charges in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# ISO 4217 list one. Every code is listed, with no default, so that a typo is refused
# instead of billed in cents. Funds and metals whose minor unit is "N.A." (XAU, XDR,
# XTS, ...) are left out: nothing is billed in them. Gateways sometimes disagree
# (Stripe has special rules for ISK, HUF and TWD); their adapters convert.
# WARNING: changing an exponent reinterprets every stored amount in that currency.
_CODES_BY_EXPONENT: Final = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN
    QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
    ZMW ZWG
    """,
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
ISO_4217_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: exp for exp, codes in _CODES_BY_EXPONENT.items() for code in codes.split()}
)

CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")


def is_active_currency(code: object) -> bool:
    """Whether `code` is an active ISO 4217 code, written in uppercase."""
    return isinstance(code, str) and code in ISO_4217_EXPONENTS


def format_minor(amount_minor: int, currency: str) -> str:
    """`1250, "EUR"` as `12.50 EUR`, with the currency's own minor digits; exact
    (integer arithmetic, never a float)."""
    exponent = ISO_4217_EXPONENTS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, minor = divmod(abs(amount_minor), 10**exponent)
    digits = f"{whole}.{minor:0{exponent}d}" if exponent else str(whole)
    return f"{sign}{digits} {currency}"
