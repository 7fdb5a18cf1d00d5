"""The order form: a quantity for every snack on sale, the total it comes to per
currency, and the shop's refusals of an order next to the snacks they name."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from kit.currencies import ISO_4217_EXPONENTS
from snacks.errors import ShopError, SnackAlreadyOrdered, SnackRetired
from snacks.models import Snack
from snacks.money_text import money_text
from snacks.services import MAX_QUANTITY
from snacks.web.form_base import ShopForm

_FIELD_PREFIX = "snack-"
_FIELD_NAME = re.compile(rf"{_FIELD_PREFIX}([0-9a-fA-F-]{{32,36}})")
NOTHING_PICKED = "Nothing picked yet"
# Said after the totals when the quantities typed are in several currencies.
MIXED_CURRENCIES = " — an order holds one currency"
QUANTITY_WORDS = f"Give a whole number of snacks, from 0 to {MAX_QUANTITY:,}."


def field_name(snack_id: uuid.UUID | str) -> str:
    return f"{_FIELD_PREFIX}{snack_id}"


@dataclass(frozen=True)
class CurrencyTotal:
    """What the snacks picked in one currency come to."""

    currency: str
    amount_minor: int
    count: int


class OrderForm(ShopForm):
    """How many of each snack on sale; 0 (or empty) leaves a snack out."""

    def __init__(
        self,
        snacks: Sequence[Snack],
        data: Any = None,
        *,
        picked: uuid.UUID | None = None,
    ) -> None:
        super().__init__(data)
        self.snacks = {snack.id: snack for snack in snacks}
        for snack in snacks:
            self.fields[field_name(snack.id)] = _quantity_field(
                snack, initial=1 if snack.id == picked else 0
            )

    @property
    def currencies(self) -> list[str]:
        """The currencies of the snacks on sale, in the order of their first snack."""
        return list(dict.fromkeys(snack.currency for snack in self.snacks.values()))

    @property
    def total_currency(self) -> str:
        """The currency the page's total is in before anything is picked."""
        return next(iter(self.currencies), "")

    @property
    def total_exponent(self) -> int:
        return ISO_4217_EXPONENTS.get(self.total_currency, 2)

    def rows(self) -> list[tuple[Snack, forms.BoundField]]:
        return [(snack, self[field_name(snack.id)]) for snack in self.snacks.values()]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if not self.errors and not self.purchases():
            raise forms.ValidationError(
                "Pick at least one snack: give it a quantity of 1 or more.",
                code="nothing_picked",
            )
        return cleaned

    def purchases(self) -> list[tuple[uuid.UUID, int]]:
        """(snack id, quantity) of the snacks picked, as `place_order` takes them.

        A quantity sent for a snack the form does not list (retired, or not a snack
        at all, since the page was loaded) goes to the service, which says why it
        cannot be ordered.
        """
        listed = [
            (snack_id, quantity)
            for snack_id in self.snacks
            if (quantity := self.cleaned_data.get(field_name(snack_id)) or 0) > 0
        ]
        return listed + self._unlisted()

    def totals(self) -> list[CurrencyTotal]:
        """What the quantities typed come to, per currency (for the page before its
        script takes over)."""
        totals: dict[str, CurrencyTotal] = {}
        for snack, bound in self.rows():
            quantity = _whole_number(bound.value())
            if quantity is None or not 0 < quantity <= MAX_QUANTITY:
                continue
            before = totals.get(snack.currency, CurrencyTotal(snack.currency, 0, 0))
            totals[snack.currency] = CurrencyTotal(
                snack.currency,
                before.amount_minor + quantity * snack.amount_minor,
                before.count + quantity,
            )
        return list(totals.values())

    def total_text(self) -> str:
        parts = [
            f"{money_text(total.amount_minor, total.currency)} "
            f"({total.count} {'snack' if total.count == 1 else 'snacks'})"
            for total in self.totals()
        ]
        if len(parts) > 1:
            return f"{' and '.join(parts)}{MIXED_CURRENCIES}"
        return " and ".join(parts) or NOTHING_PICKED

    def add_order_refusal(self, refused: ShopError) -> None:
        """The service's refusal at the top of the form, and next to each snack it
        names (with the order that holds a snack already)."""
        extra: dict[str, Any] = dict(refused.extra or {})
        for named in extra.get("snacks") or []:
            if isinstance(named, dict) and field_name(named["id"]) in self.fields:
                self.add_error(field_name(named["id"]), _snack_refusal(refused, named))
        self.add_refusal(refused)

    def _unlisted(self) -> list[tuple[uuid.UUID, int]]:
        if self.data is None:
            return []
        unlisted = []
        for name, value in self.data.items():
            match = _FIELD_NAME.fullmatch(name)
            if match is None:
                continue
            try:
                snack_id = uuid.UUID(match[1])
            except ValueError:
                continue
            quantity = _whole_number(value)
            if snack_id not in self.snacks and quantity is not None and quantity > 0:
                unlisted.append((snack_id, quantity))
        return unlisted


def _quantity_field(snack: Snack, *, initial: int) -> forms.IntegerField:
    price = money_text(snack.amount_minor, snack.currency)
    return forms.IntegerField(
        label=f"{snack.name}, {price}",
        min_value=0,
        max_value=MAX_QUANTITY,
        required=False,
        initial=initial,
        error_messages={
            "invalid": QUANTITY_WORDS,
            "min_value": QUANTITY_WORDS,
            "max_value": QUANTITY_WORDS,
        },
        widget=forms.NumberInput(
            {
                "inputmode": "numeric",
                "data-price-minor": snack.amount_minor,
                "data-currency": snack.currency,
                "data-exponent": ISO_4217_EXPONENTS.get(snack.currency, 2),
            }
        ),
    )


def _snack_refusal(refused: ShopError, named: dict[str, Any]) -> str:
    if isinstance(refused, SnackAlreadyOrdered) and named.get("order"):
        url = reverse("shop:order", args=[named["order"]])
        return format_html(
            'Already in <a href="{}">an open order of yours</a>: order it again '
            "once that order is completed or canceled.",
            url,
        )
    if isinstance(refused, SnackRetired):
        return "No longer on sale."
    return str(refused.message)


def _whole_number(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None
