"""The shop's API, mounted at /api/v1/shop/."""

from django.urls import URLPattern, URLResolver, path

from snacks.api.order_work import OrderInvoiceApi, TaskStatusApi
from snacks.api.orders import (
    OrderDetailApi,
    OrderHoldApi,
    OrderListApi,
    OrderStatusApi,
)
from snacks.api.statistics import StatisticsApi
from snacks.api.views import (
    SnackDetailApi,
    SnackListApi,
    SnackReactionApi,
    SnackRetireApi,
)

app_name = "shop-api"

# Ids are plain segments: the views answer a malformed one with a 400.
urlpatterns: list[URLPattern | URLResolver] = [
    path("snacks/", SnackListApi.as_view(), name="snack-list"),
    path("snacks/<str:snack_id>/", SnackDetailApi.as_view(), name="snack-detail"),
    path(
        "snacks/<str:snack_id>/retire/", SnackRetireApi.as_view(), name="snack-retire"
    ),
    path(
        "snacks/<str:snack_id>/reaction/",
        SnackReactionApi.as_view(),
        name="snack-reaction",
    ),
    path(
        "orders/<str:order_id>/invoice.pdf",
        OrderInvoiceApi.as_view(),
        name="order-invoice",
    ),
    path("tasks/<str:task_id>/", TaskStatusApi.as_view(), name="task-status"),
    path("orders/", OrderListApi.as_view(), name="order-list"),
    path("orders/<str:order_id>/", OrderDetailApi.as_view(), name="order-detail"),
    path(
        "orders/<str:order_id>/status/", OrderStatusApi.as_view(), name="order-status"
    ),
    path("orders/<str:order_id>/hold/", OrderHoldApi.as_view(), name="order-hold"),
    path("statistics/", StatisticsApi.as_view(), name="statistics"),
]
