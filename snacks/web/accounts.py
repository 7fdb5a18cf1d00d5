"""Joining, signing in and out, and resigning: the member's own account."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import services as accounts_services
from accounts.errors import (
    EmailResigned,
    EmailTaken,
    InvalidSignUp,
    LastAdmin,
    WrongPassword,
)
from accounts.sign_in import guarded_login
from kit.api.throttling import throttled_login
from snacks.web.access import member_page, shop_user
from snacks.web.account_forms import (
    NOT_YOUR_SECRET,
    ResignForm,
    SignInForm,
    SignUpForm,
)

sign_in = guarded_login(
    LoginView.as_view(
        template_name="shop/sign_in.html",
        authentication_form=SignInForm,
        redirect_authenticated_user=True,
        next_page="shop:shelf",
    )
)


class SignOut(LogoutView):
    """Django's sign-out (a POST), which says so on the sign-in page."""

    next_page = "shop:sign-in"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


sign_out = SignOut.as_view()


@throttled_login
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = accounts_services.sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
            )
        except EmailTaken:
            form.add_error("email", "An account with this e-mail already exists.")
        except EmailResigned:
            form.add_error(
                "email",
                "This e-mail belonged to a member who resigned; it cannot join again.",
            )
        except InvalidSignUp as refused:
            form.add_refusal(refused)
        else:
            login(request, user)
            messages.success(request, f"Welcome, {user.name or user.email}!")
            return redirect("shop:shelf")
    return render(request, "shop/sign_up.html", {"form": form})


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The member's account, and resigning from it (confirmed twice: the password
    and a tick in the box)."""
    user = shop_user(request)
    form = ResignForm(user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            accounts_services.resign(
                user_id=user.id,
                password=form.cleaned_data["password"],
                now=timezone.now(),
            )
        except WrongPassword:
            form.add_error("password", NOT_YOUR_SECRET)
        except LastAdmin as refused:
            form.add_refusal(refused)
        else:
            logout(request)
            messages.info(request, "You resigned. Your account is closed.")
            return redirect("shop:sign-in")
    return render(request, "shop/account.html", {"form": form, "member": user})
