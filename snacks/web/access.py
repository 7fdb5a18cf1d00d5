"""Who may open a page: signed-in members, and shop admins for the admin pages.

A visitor who is not signed in is sent to the sign-in page and back; a member on
an admin page gets a 403 page that says why. The session is Django's: the same one
the pages' scripts send to the shop's API (with the CSRF token), where the API's
own permissions decide again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User

View = Callable[..., HttpResponse]


def signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    if isinstance(user, User) and user.is_active:
        return user
    return None


def not_found_page(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/not_found.html", status=404)


def _answering_404_with_a_page(view: View) -> View:
    """A view whose 404 is the shop's page, also under DEBUG (where Django would
    show its technical page instead of the 404 handler's)."""

    @functools.wraps(view)
    def answering(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return not_found_page(request)

    return answering


def member_page(view: View) -> View:
    """A page for signed-in members (any role)."""
    shown = _answering_404_with_a_page(view)

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if signed_in_user(request) is None:
            return redirect_to_login(request.get_full_path(), reverse("shop:sign-in"))
        return shown(request, *args, **kwargs)

    return guarded


def admin_page(view: View) -> View:
    """A page for the shop's admins; a member gets a 403 page."""
    shown = _answering_404_with_a_page(view)

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = signed_in_user(request)
        if user is None:
            return redirect_to_login(request.get_full_path(), reverse("shop:sign-in"))
        if not user.is_shop_admin:
            return render(
                request,
                "shop/refused.html",
                {"reason": "Only an admin of the shop may open this page."},
                status=403,
            )
        return shown(request, *args, **kwargs)

    return guarded


def shop_user(request: HttpRequest) -> User:
    """The member of a request a guard let through."""
    user = signed_in_user(request)
    if user is None:  # pragma: no cover - the guard ran first
        raise PermissionError("not signed in")
    return user
