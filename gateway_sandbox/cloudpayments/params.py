"""Request parameters read the way CloudPayments reads them (GATEWAYS.md A1).

Bodies may be empty, JSON or form-encoded; names match in any case (the SDK itself
sends `accountId` and `Timezone`); unknown names are ignored (the SDK misspells
`RequireConfiramtion`); integer fields given fractions are rounded.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import simplejson

MIN_AMOUNT = Decimal("0.01")
_CENT = Decimal("0.01")


class BadRequest(Exception):
    """A malformed request, answered `{"Success": false, "Message": message}`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Params:
    """The parameters of one request, looked up by case-insensitive name."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = {str(key).lower(): value for key, value in values.items()}

    @classmethod
    def parse(cls, raw: bytes, content_type: str) -> Params:
        """Read an empty, JSON or form body.

        :raises BadRequest: when the body cannot be read as either.
        """
        if not raw.strip():
            return cls({})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("The request body must be UTF-8") from exc
        looks_like_json = text.lstrip()[:1] in ("{", "[")
        if "json" in content_type or ("form" not in content_type and looks_like_json):
            try:
                # Decimal keeps 10.10 exactly 10.10 on its way to the ledger.
                data = json.loads(text, parse_float=Decimal)
            except ValueError as exc:
                raise BadRequest("Invalid JSON in the request body") from exc
            if not isinstance(data, dict):
                raise BadRequest("The request body must be a JSON object")
            return cls(data)
        return cls(dict(urllib.parse.parse_qsl(text, keep_blank_values=True)))

    def raw(self, name: str) -> Any:
        """The value as sent, with an empty string taken as absent (form bodies)."""
        value = self._values.get(name.lower())
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def has(self, name: str) -> bool:
        return self.raw(name) is not None

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; numbers are accepted as their decimal text.

        :raises BadRequest: when required and absent, or when not a scalar.
        """
        value = self.raw(name)
        if value is None:
            if required:
                raise BadRequest(f"{name} is required")
            return None
        if isinstance(value, bool | dict | list):
            raise BadRequest(f"Invalid {name} value")
        if isinstance(value, int | Decimal):
            return str(value)
        return str(value).strip()

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def amount(self, name: str = "Amount") -> Decimal:
        """A money amount: a number with at most 2 decimals, at least 0.01.

        :raises BadRequest: `<name> is required` or `Invalid <name> value…`.
        """
        value = self.raw(name)
        if value is None:
            raise BadRequest(f"{name} is required")
        number = _decimal(value)
        if number is None or not number.is_finite():
            raise BadRequest(f"Invalid {name} value")
        if number < MIN_AMOUNT:
            raise BadRequest(f"Invalid {name} value: the minimum is 0.01")
        if number != number.quantize(_CENT):
            raise BadRequest(f"Invalid {name} value: at most 2 decimal places")
        return number.quantize(_CENT)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter; a fraction is rounded half away from zero.

        :raises BadRequest: when required and absent, or not a number.
        """
        value = self.raw(name)
        if value is None:
            if required:
                raise BadRequest(f"{name} is required")
            return None
        number = _decimal(value)
        if number is None or not number.is_finite():
            raise BadRequest(f"Invalid {name} value")
        return int(number.to_integral_value(rounding=ROUND_HALF_UP))

    def required_integer(self, name: str) -> int:
        value = self.integer(name, required=True)
        assert value is not None
        return value

    def boolean(self, name: str) -> bool | None:
        """A flag given as a JSON boolean, 0/1 or `true`/`false` in any case.

        :raises BadRequest: for any other value.
        """
        value = self.raw(name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise BadRequest(f"Invalid {name} value")

    def json_data(self, name: str = "JsonData") -> str | None:
        """`JsonData` as the gateway echoes it: a JSON-encoded string, or None."""
        value = self.raw(name)
        if value is None or isinstance(value, str):
            return value
        return simplejson.dumps(value, ensure_ascii=False)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None
