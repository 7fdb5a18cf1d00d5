"""Currencies and amount limits of Stripe charges (GATEWAYS.md C5; Stripe's docs).

Stripe's minimum is "about 50 US cents" converted into the charge currency on the day.
The sandbox keeps the documented fixed minimums of the common currencies and takes 50
minor units for the rest, which is close enough for tests and never depends on rates.
"""

from __future__ import annotations

from gateway_sandbox.stripe.errors import invalid_parameter

_CURRENCY_CODES = """
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp
byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel
gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt
lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok
npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos
srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer
zar zmw
"""
SUPPORTED_CURRENCIES = frozenset(_CURRENCY_CODES.split())
_ZERO_DECIMAL_CODES = "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf"
ZERO_DECIMAL_CURRENCIES = frozenset(_ZERO_DECIMAL_CODES.split())
MINIMUM_CHARGE_MINOR = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}
DEFAULT_MINIMUM_MINOR = 50
# Stripe's ceiling for one charge: eight digits of minor units.
MAXIMUM_CHARGE_MINOR = 99_999_999


def checked_currency(value: str, *, param: str = "currency") -> str:
    """The lower-case ISO code. :raises StripeApiError: for an unsupported currency."""
    currency = value.lower()
    if currency not in SUPPORTED_CURRENCIES:
        raise invalid_parameter(
            param,
            f"Invalid currency: {value}. Stripe currently supports these currencies: "
            + ", ".join(sorted(SUPPORTED_CURRENCIES)),
        )
    return currency


def check_charge_amount(amount: int, currency: str, *, param: str = "amount") -> None:
    """:raises StripeApiError: amount_too_small or amount_too_large."""
    minimum = MINIMUM_CHARGE_MINOR.get(currency, DEFAULT_MINIMUM_MINOR)
    if amount < minimum:
        raise invalid_parameter(
            param,
            f"Amount must be at least {format_minor(minimum, currency)}",
            code="amount_too_small",
        )
    if amount > MAXIMUM_CHARGE_MINOR:
        raise invalid_parameter(
            param,
            "Amount must be no more than "
            + format_minor(MAXIMUM_CHARGE_MINOR, currency),
            code="amount_too_large",
        )


def format_minor(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{amount} {currency}"
    return f"{amount // 100}.{amount % 100:02d} {currency}"
