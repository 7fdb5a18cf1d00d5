"""The members of the shop (admins): who they are, found by name, e-mail or role,
and making one of them an admin."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.errors import MemberNotFound, NotShopAdmin
from accounts.models import ShopRole
from snacks.web.access import admin_page, shop_user
from snacks.web.form_base import ShopForm

MEMBERS_PAGE_SIZE = 50
FILTERS = ("search", "role")


class MemberFilterForm(ShopForm):
    search = forms.CharField(
        label="Name or e-mail",
        max_length=254,
        required=False,
        help_text="Part of it is enough.",
        widget=forms.TextInput({"type": "search"}),
    )
    role = forms.ChoiceField(
        label="Role",
        required=False,
        choices=[("", "Every role"), *ShopRole.choices],
    )


def _filters(form: MemberFilterForm) -> dict[str, str]:
    """The filters of a query, without the empty or invalid ones."""
    form.is_valid()
    found = form.cleaned_data
    return {name: found[name] for name in FILTERS if found.get(name)}


@admin_page
@require_http_methods(["GET", "HEAD"])
def members(request: HttpRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET)
    filters = _filters(form)
    page = Paginator(
        accounts_selectors.list_members(**filters), MEMBERS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # What the promote buttons send (hidden) to land on this same page again.
    back = {**filters, **({"page": str(page.number)} if page.number > 1 else {})}
    return render(
        request,
        "shop/members.html",
        {
            "form": form,
            "page": page,
            "query": urlencode(filters),
            "back": back,
        },
    )


@admin_page
@require_POST
def member_promote(request: HttpRequest, member_id: uuid.UUID) -> HttpResponse:
    try:
        member = accounts_services.promote(
            admin_id=shop_user(request).id, member_id=member_id
        )
    except (MemberNotFound, NotShopAdmin) as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"{member.name or member.email} is now an admin of the shop."
        )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The members' page the button was on: only its own filters and page number
    are taken from the form, so it never leads elsewhere."""
    sent = request.POST
    kept = _filters(MemberFilterForm({name: sent.get(name, "") for name in FILTERS}))
    page = sent.get("page", "")
    if page.isdigit():
        kept["page"] = page
    address = reverse("shop:members")
    return f"{address}?{urlencode(kept)}" if kept else address
