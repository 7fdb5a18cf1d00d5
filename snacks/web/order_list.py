"""The orders of a month: a member's own, an admin's everyone's (the selector
decides), newest first, by status if asked, a page at a time."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from snacks import selectors
from snacks.models import OrderStatus
from snacks.selectors import EARLIEST, LATEST
from snacks.web.access import member_page, shop_user
from snacks.web.form_base import ShopForm

ORDERS_PAGE_SIZE = 25
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class OrderFilters(ShopForm):
    month = forms.CharField(
        label="Month",
        max_length=7,
        help_text="As YYYY-MM, e.g. 2026-03.",
        widget=forms.TextInput({"inputmode": "numeric", "placeholder": "YYYY-MM"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *OrderStatus.choices],
        error_messages={"invalid_choice": "Choose a status from the list."},
    )

    def clean_month(self) -> dt.date:
        text = self.cleaned_data["month"]
        match = _MONTH.fullmatch(text)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(
                "A month is written YYYY-MM, e.g. 2026-03.", code="month"
            )
        month = dt.date(int(match[1]), int(match[2]), 1)
        if not EARLIEST <= month <= LATEST:
            raise forms.ValidationError(
                f"Choose a month from {EARLIEST:%Y-%m} to {LATEST:%Y-%m}.",
                code="month",
            )
        return month


@member_page
def order_list(request: HttpRequest) -> HttpResponse:
    user = shop_user(request)
    given = request.GET.copy()
    if not given.get("month"):
        # This month in the shop's time zone, written in the field as shown.
        given["month"] = f"{timezone.localdate():%Y-%m}"
    filters = OrderFilters(given)
    context: dict[str, Any] = {"filters": filters, "show_member": user.is_shop_admin}
    if filters.is_valid():
        month = filters.cleaned_data["month"]
        status = filters.cleaned_data["status"] or None
        orders = selectors.order_list(viewer=user, month=month, status=status)
        page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            month=month,
            page=page,
            query=_query(month, status),
            previous_month=_month_link(_shift(month, -1), status),
            next_month=_month_link(_shift(month, 1), status),
        )
    return render(request, "shop/orders.html", context)


def _shift(month: dt.date, months: int) -> dt.date | None:
    """The first day of the month `months` away, if the list reaches it."""
    index = month.year * 12 + month.month - 1 + months
    year, number = divmod(index, 12)
    if not EARLIEST.year <= year <= LATEST.year:
        return None
    shifted = dt.date(year, number + 1, 1)
    return shifted if EARLIEST <= shifted <= LATEST else None


def _query(month: dt.date, status: str | None) -> str:
    given = {"month": f"{month:%Y-%m}"}
    if status:
        given["status"] = status
    return urlencode(given)


def _month_link(month: dt.date | None, status: str | None) -> dict[str, Any] | None:
    if month is None:
        return None
    return {"month": month, "query": _query(month, status)}
