"""Template helpers of the shop's pages: money, status badges, form fields."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

from snacks.money_text import money_text

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """`{{ order.amount_minor|money:order.currency }}` as `€2.50`."""
    if amount_minor is None:
        return ""
    return money_text(int(amount_minor), currency)


@register.inclusion_tag("shop/includes/badge.html")
def badge(value: str, label: str = "") -> dict[str, str]:
    """A status as a coloured badge; the word is the status's own, in lower case."""
    return {"value": value.lower(), "label": label or value.lower().replace("_", " ")}


@register.inclusion_tag("shop/includes/field.html")
def field(bound: BoundField, hint: str = "") -> dict[str, Any]:
    """A form field with its label, hint and errors, tied together for screen
    readers (`aria-describedby`, `aria-invalid`)."""
    return {"field": bound, "hint": hint}
