"""The admins' forms of the shelf: a snack (new or changed) and its retirement.

The price is typed as people read it ("2.50", with the currency chosen beside it)
and becomes whole minor units here, exactly; the services check everything again.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from django import forms
from django.core.exceptions import ValidationError

from kit.currencies import ISO_4217_EXPONENTS
from kit.errors import DomainError
from snacks.errors import InvalidSnack
from snacks.images import validate_snack_image
from snacks.major_units import (
    MAX_AMOUNT_MINOR,
    TooManyDecimals,
    exponent,
    to_major,
    to_minor,
)
from snacks.models import Snack
from snacks.web.form_base import ShopForm

# Digits with an optional decimal point, as a price is written on a label: no
# exponents ("1e3"), no "NaN" or "Infinity", which `Decimal` would also read.
_PRICE: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# The API's (and the services') names of the fields, where the form's differ.
_FORM_FIELD: Final = {"amount_minor": "price"}
CURRENCIES: Final = sorted(ISO_4217_EXPONENTS)
DEFAULT_CURRENCY: Final = "EUR"


def _decimals(currency: str) -> str:
    places = exponent(currency)
    if places == 0:
        return f"{currency} prices are whole numbers: type one without decimals."
    return f"{currency} prices have at most {places} decimals."


class SnackForm(ShopForm):
    name = forms.CharField(label="Name", max_length=100)
    price = forms.CharField(
        label="Amount",
        max_length=30,
        help_text="As on the label: 2.50, or 500 in a currency without cents.",
        widget=forms.TextInput({"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.ChoiceField(
        label="Currency",
        choices=[(code, code) for code in CURRENCIES],
        initial=DEFAULT_CURRENCY,
    )
    url = forms.URLField(
        label="The maker's page",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Optional, such as https://maker.example/.",
    )
    description = forms.CharField(
        label="Description",
        max_length=10_000,
        required=False,
        widget=forms.Textarea({"rows": 4}),
    )
    image = forms.FileField(
        label="Picture",
        required=False,
        help_text="Optional: a JPEG, PNG, WebP or GIF of at most 2 MiB.",
        widget=forms.FileInput({"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )

    @classmethod
    def for_snack(cls, snack: Snack, **kwargs: Any) -> SnackForm:
        """The form of a change to `snack`, filled with what it is now."""
        initial = {
            "name": snack.name,
            "price": str(to_major(snack.amount_minor, snack.currency)),
            "currency": snack.currency,
            "url": snack.url,
            "description": snack.description,
        }
        return cls(initial=initial, **kwargs)

    def clean_price(self) -> Decimal:
        typed = self.cleaned_data["price"].strip()
        if not _PRICE.fullmatch(typed):
            raise ValidationError(
                "Type the price as a number, such as 2.50.", code="not_a_number"
            )
        price = Decimal(typed)
        if price < 0:
            raise ValidationError("A price cannot be negative.", code="negative")
        if price == 0:
            raise ValidationError("A price must be more than zero.", code="zero")
        return price

    def clean_image(self) -> Any:
        picture = self.cleaned_data.get("image")
        if picture:
            validate_snack_image(picture)
        return picture

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        price, currency = cleaned.get("price"), cleaned.get("currency")
        if price is None or not currency:
            return cleaned
        try:
            amount_minor = to_minor(price, currency)
        except TooManyDecimals:
            self.add_error("price", _decimals(currency))
            return cleaned
        if amount_minor > MAX_AMOUNT_MINOR:
            self.add_error("price", "The price is too large.")
            return cleaned
        cleaned["amount_minor"] = amount_minor
        return cleaned

    def snack_fields(self) -> dict[str, Any]:
        """The fields as the services name them; the picture only when one came."""
        fields = {
            name: self.cleaned_data[name]
            for name in ("name", "amount_minor", "currency", "url", "description")
        }
        if self.cleaned_data.get("image"):
            fields["image"] = self.cleaned_data["image"]
        return fields

    def add_refusal(self, error: DomainError) -> None:
        """The service's refusal, with its field names made the form's."""
        fields = error.extra.get("fields")
        if isinstance(fields, dict):
            renamed = {_FORM_FIELD.get(name, name): why for name, why in fields.items()}
            error = InvalidSnack(
                error.message, extra={**error.extra, "fields": renamed}
            )
        super().add_refusal(error)


class RetireForm(ShopForm):
    confirm = forms.BooleanField(
        label="I understand that the snack leaves the shelf for good: nobody can "
        "order it, react to it or change it again.",
        error_messages={"required": "Tick the box to confirm that the snack retires."},
    )
