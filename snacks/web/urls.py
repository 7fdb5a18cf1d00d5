"""The shop's web pages, mounted at /shop/."""

from django.urls import URLPattern, URLResolver, path

from snacks.web import (
    accounts,
    members,
    order_list,
    order_moves,
    orders,
    shelf,
    snack_admin,
    statistics,
)

app_name = "shop"
MEMBER = "members/<uuid:member_id>/"
SNACK = "manage/snacks/<uuid:snack_id>/"
ORDER = "orders/<uuid:order_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", shelf.shelf, name="shelf"),
    path("snacks/<uuid:snack_id>/", shelf.snack_page, name="snack"),
    path("sign-up/", accounts.sign_up, name="sign-up"),
    path("sign-in/", accounts.sign_in, name="sign-in"),
    path("sign-out/", accounts.sign_out, name="sign-out"),
    path("account/", accounts.account, name="account"),
    path("orders/", order_list.order_list, name="orders"),
    path("orders/new/", orders.order_new, name="order-new"),
    path(ORDER, orders.order_page, name="order"),
    path(f"{ORDER}pay/", order_moves.order_pay, name="order-pay"),
    path(f"{ORDER}cancel/", order_moves.order_cancel, name="order-cancel"),
    path(f"{ORDER}again/", order_moves.order_again, name="order-again"),
    path(f"{ORDER}move/", order_moves.order_move, name="order-move"),
    path("members/", members.members, name="members"),
    path(f"{MEMBER}promote/", members.member_promote, name="member-promote"),
    path("manage/snacks/", snack_admin.manage_snacks, name="manage-snacks"),
    path("manage/snacks/new/", snack_admin.snack_new, name="snack-new"),
    path(f"{SNACK}edit/", snack_admin.snack_edit, name="snack-edit"),
    path(f"{SNACK}retire/", snack_admin.snack_retire, name="snack-retire"),
    path("statistics/", statistics.statistics, name="statistics"),
]
