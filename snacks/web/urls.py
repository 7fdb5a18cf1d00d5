"""The shop's web pages, mounted at /shop/."""

from django.urls import URLPattern, URLResolver, path

from snacks.web import accounts, members, shelf, snack_admin, statistics

app_name = "shop"
MEMBER = "members/<uuid:member_id>/"
SNACK = "manage/snacks/<uuid:snack_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", shelf.shelf, name="shelf"),
    path("snacks/<uuid:snack_id>/", shelf.snack_page, name="snack"),
    path("sign-up/", accounts.sign_up, name="sign-up"),
    path("sign-in/", accounts.sign_in, name="sign-in"),
    path("sign-out/", accounts.sign_out, name="sign-out"),
    path("account/", accounts.account, name="account"),
    path("members/", members.members, name="members"),
    path(f"{MEMBER}promote/", members.member_promote, name="member-promote"),
    path("manage/snacks/", snack_admin.manage_snacks, name="manage-snacks"),
    path("manage/snacks/new/", snack_admin.snack_new, name="snack-new"),
    path(f"{SNACK}edit/", snack_admin.snack_edit, name="snack-edit"),
    path(f"{SNACK}retire/", snack_admin.snack_retire, name="snack-retire"),
    path("statistics/", statistics.statistics, name="statistics"),
]
