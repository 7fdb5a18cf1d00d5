"""The currencies money may be in: ISO 4217's active codes and their minor units."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from billing.errors import DomainError


class UnknownCurrency(DomainError):
    """The currency is not an active ISO 4217 currency code."""

    code = "unknown_currency"


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

_CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")


def currency_exponent(code: str) -> int:
    """Return the number of decimal places of the currency's minor unit.

    :raises UnknownCurrency: if the code is not three uppercase letters or not listed.
    """
    # A lowercase code is refused rather than fixed, so it is caught where it is made.
    if not isinstance(code, str) or not _CURRENCY_CODE.fullmatch(code):
        raise UnknownCurrency(
            f"A currency code is three uppercase letters, got {code!r}.",
            extra={"currency": str(code)},
        )
    if code not in ISO_4217_EXPONENTS:
        raise UnknownCurrency(f"{code} is not an active ISO 4217 currency.")
    return ISO_4217_EXPONENTS[code]
