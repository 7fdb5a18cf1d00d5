from django.urls import URLPattern, URLResolver, path

from accounts.api.member_views import (
    MemberMeApi,
    MemberPromoteApi,
    MemberResignApi,
    MembersApi,
)
from accounts.api.views import TokenObtainApi, TokenRefreshApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("shop/members/", MembersApi.as_view(), name="shop-members"),
    path("shop/members/me/", MemberMeApi.as_view(), name="shop-member-me"),
    path(
        "shop/members/me/resign/",
        MemberResignApi.as_view(),
        name="shop-member-resign",
    ),
    # The id is a plain segment: the view answers a malformed one with a 400.
    path(
        "shop/members/<str:member_id>/promote/",
        MemberPromoteApi.as_view(),
        name="shop-member-promote",
    ),
]
