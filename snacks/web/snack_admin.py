"""The admins' pages of the shelf: every snack, a new one, a change to one, and
its retirement (confirmed with a tick in a box)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from snacks import selectors, services
from snacks.errors import (
    InvalidSnack,
    ReactionsUnavailable,
    SnackNotFound,
    SnackRetired,
)
from snacks.models import Snack
from snacks.web.access import admin_page, shop_user
from snacks.web.shelf import shelf_items
from snacks.web.snack_forms import RetireForm, SnackForm

MANAGE_PAGE_SIZE = 50


def _snack(snack_id: uuid.UUID) -> Snack:
    try:
        return selectors.snack_get(snack_id=snack_id)
    except SnackNotFound:
        raise Http404("No snack has this id.") from None


@admin_page
@require_http_methods(["GET", "HEAD"])
def manage_snacks(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.every_snack(), MANAGE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The live counts (the persisted ones while Redis is away), as on the shelf.
    items = shelf_items(list(page.object_list), user_id=shop_user(request).id)
    return render(request, "shop/manage_snacks.html", {"page": page, "items": items})


@admin_page
@require_http_methods(["GET", "HEAD", "POST"])
def snack_new(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = SnackForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    saved = _saved(
        request, form, lambda fields: services.create_snack(**fields), "is on the shelf"
    )
    return saved or render(
        request, "shop/snack_form.html", {"form": form, "snack": None}
    )


@admin_page
@require_http_methods(["GET", "HEAD", "POST"])
def snack_edit(request: HttpRequest, snack_id: uuid.UUID) -> HttpResponse:
    snack = _snack(snack_id)
    if request.method == "POST":
        form = SnackForm(request.POST, request.FILES)
    else:
        form = SnackForm.for_snack(snack)
    saved = _saved(
        request,
        form,
        lambda fields: services.update_snack(snack_id=snack.id, changes=fields),
        "is changed",
    )
    return saved or render(
        request, "shop/snack_form.html", {"form": form, "snack": snack}
    )


def _saved(
    request: HttpRequest,
    form: SnackForm,
    save: Callable[[dict[str, Any]], Snack],
    done: str,
) -> HttpResponse | None:
    """Save a valid form's snack and go back to the list, or put the service's
    refusal on the form (and answer None to show it again)."""
    if not form.is_valid():
        return None
    try:
        snack = save(form.snack_fields())
    except SnackNotFound:
        raise Http404("No snack has this id.") from None
    except SnackRetired as refused:
        form.add_error(None, refused.message)
    except InvalidSnack as refused:
        form.add_refusal(refused)
    else:
        messages.success(request, f"{snack.name} {done}.")
        return redirect("shop:manage-snacks")
    return None


@admin_page
@require_http_methods(["GET", "HEAD", "POST"])
def snack_retire(request: HttpRequest, snack_id: uuid.UUID) -> HttpResponse:
    snack = _snack(snack_id)
    form = RetireForm(request.POST if request.method == "POST" else None)
    if not snack.is_retired and form.is_valid():
        try:
            services.retire_snack(snack_id=snack.id, now=timezone.now())
        except SnackNotFound:
            raise Http404("No snack has this id.") from None
        except ReactionsUnavailable as refused:
            form.add_refusal(refused)
        else:
            messages.success(request, f"{snack.name} is retired: it left the shelf.")
            return redirect("shop:manage-snacks")
    return render(request, "shop/snack_retire.html", {"form": form, "snack": snack})
