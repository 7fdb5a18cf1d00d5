"""Input fields that are stricter than DRF's defaults where money and redirects are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.validators import URLValidator
from rest_framework import serializers

from kit.redirects import is_allowed_redirect

# The largest amount a BigIntegerField holds.
MAX_AMOUNT_MINOR = 2**63 - 1


class StrictPositiveIntegerField(serializers.IntegerField):
    """A whole number above zero: JSON integers, or digits in a form post.

    DRF's IntegerField would take `12.0`, `"12.0"` and `true`; an amount of money
    given as anything but a whole number is a client bug worth refusing.
    """

    default_error_messages = {
        "strict": "Must be a whole number (no decimals, no exponent, no boolean).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_AMOUNT_MINOR)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("strict")
        if isinstance(data, str) and not data.strip().isdigit():
            self.fail("strict")
        if not isinstance(data, int | str):
            self.fail("strict")
        return int(super().to_internal_value(data))


class HttpUrlField(serializers.URLField):
    """An absolute http(s) URL: never javascript:, data: or ftp: for a redirect."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # URLField's own validator allows ftp(s); replace it with a stricter one.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, URLValidator)
        ]
        self.validators.append(
            URLValidator(schemes=["http", "https"], message="Enter an http(s) URL.")
        )


class RedirectUrlField(HttpUrlField):
    """An http(s) URL on a host that `allowed_hosts()` names (read per request)."""

    default_error_messages = {
        "host": "The host of this URL is not one the service may redirect to.",
    }

    def __init__(
        self, *, allowed_hosts: Callable[[], Sequence[str]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.allowed_hosts = allowed_hosts

    def run_validators(self, value: Any) -> None:
        super().run_validators(value)
        if not is_allowed_redirect(value, self.allowed_hosts()):
            self.fail("host")
