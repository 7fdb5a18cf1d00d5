"""The sandbox's `CardCryptogramPacket` format (GATEWAYS.md A6) [SANDBOX].

A real packet is RSA-encrypted by CloudPayments' Checkout script and only the gateway
can read it. The sandbox needs something a test, a tool or its own card page can make
without a key: `"sbx1:" + base64url(JSON{"number", "exp": "MMYY", "cvv", "name"})`.
A bare 16-digit test PAN is accepted too, for people typing requests by hand.

Pure functions: no clock, no I/O. Card data never goes into logs or messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

PREFIX = "sbx1:"

# A bare PAN carries no expiry; it is treated as valid far beyond any clock advance.
_BARE_PAN_EXPIRY = (12, 2049)

_NUMBER = re.compile(r"\d{12,19}")
_BARE_PAN = re.compile(r"\d{16}")
_EXPIRY = re.compile(r"(\d{2})/?(\d{2})")
_CVV = re.compile(r"\d{3,4}")


class InvalidCryptogram(ValueError):
    """Not a packet the sandbox can read (answered `Invalid CardCryptogramPacket`)."""


@dataclass(frozen=True, slots=True)
class CardData:
    number: str
    exp_month: int
    exp_year: int
    cvv: str | None
    name: str | None

    def __repr__(self) -> str:
        # Keeps the full number and the CVV out of tracebacks and debug logs.
        return f"CardData(first_six={self.first_six}, last_four={self.last_four})"

    @property
    def first_six(self) -> str:
        return self.number[:6]

    @property
    def last_four(self) -> str:
        return self.number[-4:]

    @property
    def exp_text(self) -> str:
        """`CardExpDate` as the gateway shows it: `MM/YY`."""
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def is_expired(self, *, year: int, month: int) -> bool:
        """Whether the card is past its expiry month (valid through that month)."""
        return (self.exp_year, self.exp_month) < (year, month)


def normalize_number(number: str) -> str:
    """The digits of a card number typed with spaces or dashes."""
    return re.sub(r"[\s-]", "", number)


def parse_expiry(exp: str) -> tuple[int, int]:
    """`(month, four-digit year)` from `MMYY` or `MM/YY`.

    :raises InvalidCryptogram: for anything else or a month outside 1-12.
    """
    match = _EXPIRY.fullmatch(exp.strip())
    if match is None:
        raise InvalidCryptogram("exp must be MMYY")
    month, year = int(match[1]), 2000 + int(match[2])
    if not 1 <= month <= 12:
        raise InvalidCryptogram("exp has no such month")
    return month, year


def encode_cryptogram(*, number: str, exp: str, cvv: str, name: str = "") -> str:
    """Build the packet the sandbox's card page would build for this card.

    :raises InvalidCryptogram: when the number, expiry or CVV is malformed.
    """
    digits = normalize_number(number)
    if not _NUMBER.fullmatch(digits):
        raise InvalidCryptogram("number must have 12 to 19 digits")
    month, year = parse_expiry(exp)
    if not _CVV.fullmatch(cvv.strip()):
        raise InvalidCryptogram("cvv must have 3 or 4 digits")
    payload = {
        "number": digits,
        "exp": f"{month:02d}{year % 100:02d}",
        "cvv": cvv.strip(),
        "name": name,
    }
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=")
    return PREFIX + encoded.decode("ascii")


def decode_cryptogram(packet: str) -> CardData:
    """Read a packet made by `encode_cryptogram` (or the card page), or a bare PAN.

    :raises InvalidCryptogram: for anything else.
    """
    packet = packet.strip()
    if _BARE_PAN.fullmatch(packet):
        month, year = _BARE_PAN_EXPIRY
        return CardData(
            number=packet, exp_month=month, exp_year=year, cvv=None, name=None
        )
    if not packet.startswith(PREFIX):
        raise InvalidCryptogram("unknown packet format")
    encoded = packet.removeprefix(PREFIX)
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCryptogram("the packet is not base64url JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidCryptogram("the packet is not a JSON object")
    number, exp, cvv, name = (
        payload.get(key) for key in ("number", "exp", "cvv", "name")
    )
    if not isinstance(number, str) or not _NUMBER.fullmatch(normalize_number(number)):
        raise InvalidCryptogram("number must have 12 to 19 digits")
    if not isinstance(exp, str):
        raise InvalidCryptogram("exp must be MMYY")
    month, year = parse_expiry(exp)
    if not isinstance(cvv, str) or not _CVV.fullmatch(cvv):
        raise InvalidCryptogram("cvv must have 3 or 4 digits")
    if name is not None and not isinstance(name, str):
        raise InvalidCryptogram("name must be a string")
    return CardData(
        number=normalize_number(number),
        exp_month=month,
        exp_year=year,
        cvv=cvv,
        name=name or None,
    )
