"""The shelf: snacks on sale ranked by their members' likes, and a snack's page.

The like / hate buttons post to the shop's API from the page (`static/shop/shop.js`),
which re-ranks the shelf by the live counts with the rule the database ranks by.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from snacks import selectors
from snacks.errors import SnackNotFound
from snacks.models import Snack
from snacks.selectors import SnackReactions
from snacks.web.access import member_page, shop_user

SHELF_PAGE_SIZE = 50


@dataclass(frozen=True)
class ShelfItem:
    snack: Snack
    reactions: SnackReactions


def shelf_items(snacks: list[Snack], *, user_id: uuid.UUID) -> list[ShelfItem]:
    reactions = selectors.snack_reactions(snacks, user_id=user_id)
    return [ShelfItem(snack, reactions[snack.id]) for snack in snacks]


@member_page
def shelf(request: HttpRequest) -> HttpResponse:
    user = shop_user(request)
    page = Paginator(selectors.ranked_snacks(), SHELF_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = shelf_items(list(page.object_list), user_id=user.id)
    return render(request, "shop/shelf.html", {"page": page, "items": items})


@member_page
def snack_page(request: HttpRequest, snack_id: uuid.UUID) -> HttpResponse:
    user = shop_user(request)
    try:
        snack = selectors.snack_get(snack_id=snack_id)
    except SnackNotFound:
        raise Http404("No snack has this id.") from None
    [item] = shelf_items([snack], user_id=user.id)
    return render(request, "shop/snack.html", {"item": item})
