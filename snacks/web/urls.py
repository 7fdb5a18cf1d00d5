"""The shop's web pages, mounted at /shop/."""

from django.urls import URLPattern, URLResolver, path

from snacks.web import accounts, shelf

app_name = "shop"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", shelf.shelf, name="shelf"),
    path("snacks/<uuid:snack_id>/", shelf.snack_page, name="snack"),
    path("sign-up/", accounts.sign_up, name="sign-up"),
    path("sign-in/", accounts.sign_in, name="sign-in"),
    path("sign-out/", accounts.sign_out, name="sign-out"),
    path("account/", accounts.account, name="account"),
]
