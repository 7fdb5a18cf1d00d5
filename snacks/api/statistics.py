"""The shop's statistics over HTTP (admins): orders, snack quantities and amounts
by year, month or day over a range of dates."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kit.api.errors import error_responses
from snacks import selectors
from snacks.api.base import TAGS, ShopApi
from snacks.selectors import MAX_PERIODS, Grain, OrderStatistics, PeriodStatistics

_LIMITS = (
    f"{MAX_PERIODS[Grain.DAY]} periods by day, {MAX_PERIODS[Grain.MONTH]} by month "
    f"and {MAX_PERIODS[Grain.YEAR]} by year"
)


def _with_range(fields: dict[str, Any], *, output: bool) -> dict[str, Any]:
    """`fields` after `from` and `to` (a keyword cannot name a class attribute);
    an output reads them from `starts` and `ends`."""
    return {
        "from": serializers.DateField(
            source="starts" if output else None,
            help_text="The first day of the range (included).",
        ),
        "to": serializers.DateField(
            source="ends" if output else None,
            help_text="The last day of the range (included).",
        ),
        **fields,
    }


class StatisticsQuery(serializers.Serializer[Any]):
    grain = serializers.ChoiceField(choices=[grain.value for grain in Grain])

    def get_fields(self) -> dict[str, Any]:
        return _with_range(super().get_fields(), output=False)


class OrderCountsOutput(serializers.Serializer[Any]):
    CREATED = serializers.IntegerField()
    APPROVED = serializers.IntegerField()
    ORDERED = serializers.IntegerField()
    SHIPPING = serializers.IntegerField()
    COMPLETED = serializers.IntegerField()
    CANCELED = serializers.IntegerField()
    total = serializers.IntegerField()


class SnackQuantityOutput(serializers.Serializer[Any]):
    snack_id = serializers.UUIDField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()


class CurrencyAmountOutput(serializers.Serializer[Any]):
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField(
        help_text="Orders not canceled, in minor units."
    )
    ordered_amount_minor = serializers.IntegerField(
        help_text="Of those, the orders that reached ORDERED (held and captured)."
    )


class PeriodOutput(serializers.Serializer[Any]):
    period = serializers.DateField(help_text="The first day of the year, month or day.")
    orders = serializers.SerializerMethodField(
        help_text="Orders placed in the period, by status, and their total."
    )
    snacks = SnackQuantityOutput(
        many=True, help_text="Quantities ordered, most first; canceled orders left out."
    )
    amounts = CurrencyAmountOutput(many=True)

    def get_fields(self) -> dict[str, Any]:
        return _with_range(super().get_fields(), output=True)

    @extend_schema_field(OrderCountsOutput)
    def get_orders(self, entry: PeriodStatistics) -> dict[str, int]:
        return {**entry.orders, "total": entry.orders_total}


class StatisticsOutput(serializers.Serializer[OrderStatistics]):
    grain = serializers.CharField()
    time_zone = serializers.CharField(help_text="The zone the days are counted in.")
    periods = PeriodOutput(many=True)

    def get_fields(self) -> dict[str, Any]:
        return _with_range(super().get_fields(), output=True)


class StatisticsApi(ShopApi):
    """The shop's statistics (admins)."""

    admin_methods = frozenset({"GET"})

    @extend_schema(
        operation_id="shop_statistics",
        tags=TAGS,
        summary="Order statistics by year, month or day (admins)",
        description=(
            "Every period of `grain` that touches the range, empty ones included, "
            "with the part of it inside the range (`from`, `to`). An order counts "
            "on the day it was placed, in the shop's time zone. `orders` counts "
            "every status; `snacks` and `amounts` leave canceled orders out. At "
            f"most {_LIMITS}; dates from {selectors.EARLIEST} to "
            f"{selectors.LATEST}."
        ),
        parameters=[StatisticsQuery],
        responses={200: StatisticsOutput, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = StatisticsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        statistics = selectors.order_statistics(
            grain=Grain(query.validated_data["grain"]),
            starts=query.validated_data["from"],
            ends=query.validated_data["to"],
        )
        return Response(StatisticsOutput(statistics).data)
