"""Reading a registration: the JSON body of `POST /shipping/v1/shipments`.

Strict, as a partner's API is: every field is required, unknown fields are refused
(a misspelt field would otherwise be lost without a word), and each refusal names
the field it is about (`param`, e.g. `items[1].quantity`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_TEXT_LENGTH = 200
MAX_REFERENCE_LENGTH = 255
MAX_ITEMS = 100
MAX_QUANTITY = 10_000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidShipment(ValueError):
    """The registration cannot be read; `param` names the field, if one is to blame."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    reference: str
    recipient_name: str
    recipient_email: str
    items: tuple[Item, ...]
    expected_arrival: dt.date

    def fingerprint(self) -> str:
        """A digest of what was asked, however the JSON was spelt or ordered."""
        canonical = json.dumps(
            {
                "reference": self.reference,
                "recipient": [self.recipient_name, self.recipient_email],
                "items": [[item.name, item.quantity] for item in self.items],
                "expected_arrival": self.expected_arrival.isoformat(),
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_shipment(raw: bytes) -> ShipmentRequest:
    """:raises InvalidShipment: for anything but a complete, valid registration."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidShipment(f"the body is not JSON: {exc}") from exc
    body = _object(data, None, {"reference", "recipient", "items", "expected_arrival"})
    recipient = _object(body["recipient"], "recipient", {"name", "email"})
    email = _text(recipient["email"], "recipient.email", MAX_TEXT_LENGTH)
    if not _EMAIL.fullmatch(email):
        raise InvalidShipment(
            "recipient.email must be an e-mail address", param="recipient.email"
        )
    return ShipmentRequest(
        reference=_text(body["reference"], "reference", MAX_REFERENCE_LENGTH),
        recipient_name=_text(recipient["name"], "recipient.name", MAX_TEXT_LENGTH),
        recipient_email=email,
        items=_items(body["items"]),
        expected_arrival=_date(body["expected_arrival"], "expected_arrival"),
    )


def _object(value: Any, param: str | None, fields: set[str]) -> dict[str, Any]:
    where = param or "the body"
    if not isinstance(value, dict):
        raise InvalidShipment(f"{where} must be a JSON object", param=param)
    prefix = f"{param}." if param else ""
    unknown = sorted(set(value) - fields)
    if unknown:
        raise InvalidShipment(
            f"unknown field {prefix}{unknown[0]}", param=f"{prefix}{unknown[0]}"
        )
    missing = sorted(fields - set(value))
    if missing:
        raise InvalidShipment(
            f"{prefix}{missing[0]} is required", param=f"{prefix}{missing[0]}"
        )
    return value


def _text(value: Any, param: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidShipment(f"{param} must be a non-empty string", param=param)
    if len(value) > max_length:
        raise InvalidShipment(
            f"{param} must be at most {max_length} characters", param=param
        )
    return value


def _items(value: Any) -> tuple[Item, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ITEMS:
        raise InvalidShipment(
            f"items must be a list of 1 to {MAX_ITEMS} items", param="items"
        )
    items = []
    for position, entry in enumerate(value):
        param = f"items[{position}]"
        item = _object(entry, param, {"name", "quantity"})
        quantity = item["quantity"]
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= MAX_QUANTITY
        ):
            raise InvalidShipment(
                f"{param}.quantity must be a whole number from 1 to {MAX_QUANTITY}",
                param=f"{param}.quantity",
            )
        items.append(
            Item(
                name=_text(item["name"], f"{param}.name", MAX_TEXT_LENGTH),
                quantity=quantity,
            )
        )
    return tuple(items)


def _date(value: Any, param: str) -> dt.date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidShipment(f"{param} must be a date, YYYY-MM-DD", param=param)
