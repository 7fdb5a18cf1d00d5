"""Snacks, reactions, orders and purchases as the shop makes them."""

from __future__ import annotations

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from snacks.models import (
    BillingEventCursor,
    DailyOrderTotal,
    DailySnackSales,
    MonthlySnackSales,
    Order,
    OrderStatus,
    OrderStatusChange,
    OrderTask,
    OrderTaskKind,
    Purchase,
    Reaction,
    ReactionKind,
    Snack,
)
from tests.accounts.factories import UserFactory


def png(
    *, size: tuple[int, int] = (4, 4), name: str = "snack.png"
) -> SimpleUploadedFile:
    """A small, real PNG upload."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class SnackFactory(factory.django.DjangoModelFactory[Snack]):
    class Meta:
        model = Snack

    name = factory.Sequence(lambda n: f"Snack {n}")
    url = "https://snacks.example/bar"
    description = "Crunchy."
    amount_minor = 12_900
    currency = "RUB"


class ReactionFactory(factory.django.DjangoModelFactory[Reaction]):
    """A persisted reaction (the persist task writes these from Redis)."""

    class Meta:
        model = Reaction

    user = factory.SubFactory(UserFactory)
    snack = factory.SubFactory(SnackFactory)
    kind = ReactionKind.LIKE
    updated_at = factory.LazyFunction(timezone.now)


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    """An order row as it stands; for the flow's own rules place it through the
    services instead (tests/snacks/order_scenarios.py)."""

    class Meta:
        model = Order

    member = factory.SubFactory(UserFactory)
    amount_minor = 25_800
    currency = "RUB"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class PurchaseFactory(factory.django.DjangoModelFactory[Purchase]):
    class Meta:
        model = Purchase

    order = factory.SubFactory(OrderFactory)
    snack = factory.SubFactory(SnackFactory)
    quantity = 2
    price_minor = factory.LazyAttribute(lambda purchase: purchase.snack.amount_minor)


class OrderTaskFactory(factory.django.DjangoModelFactory[OrderTask]):
    """A piece of an order's work, as `start_order_work` records it (not sent)."""

    class Meta:
        model = OrderTask

    order = factory.SubFactory(OrderFactory)
    kind = OrderTaskKind.CONFIRMATION_EMAIL
    created_at = factory.LazyFunction(timezone.now)


class OrderStatusChangeFactory(factory.django.DjangoModelFactory[OrderStatusChange]):
    """A move in an order's trail; for a real move use `move_order`."""

    class Meta:
        model = OrderStatusChange

    order = factory.SubFactory(OrderFactory, status=OrderStatus.APPROVED)
    from_status = OrderStatus.CREATED
    to_status = OrderStatus.APPROVED
    actor = factory.SubFactory(UserFactory, shop_admin=True)
    actor_label = factory.LazyAttribute(lambda change: change.actor.email)
    at = factory.LazyFunction(timezone.now)


class BillingEventCursorFactory(factory.django.DjangoModelFactory[BillingEventCursor]):
    """Where a consumer of billing's events stands."""

    class Meta:
        model = BillingEventCursor

    consumer = factory.Sequence(lambda n: f"consumer-{n}")
    cursor = 0
    updated_at = factory.LazyFunction(timezone.now)


class DailyOrderTotalFactory(factory.django.DjangoModelFactory[DailyOrderTotal]):
    """A day's order total as the order services keep it; for totals that match
    orders, place and move orders through the services."""

    class Meta:
        model = DailyOrderTotal

    day = factory.LazyFunction(timezone.localdate)
    status = OrderStatus.CREATED
    currency = "RUB"
    orders = 1
    amount_minor = 25_800


class DailySnackSalesFactory(factory.django.DjangoModelFactory[DailySnackSales]):
    """A day's sales of a snack as the order services keep them."""

    class Meta:
        model = DailySnackSales

    day = factory.LazyFunction(timezone.localdate)
    snack = factory.SubFactory(SnackFactory)
    quantity = 2


class MonthlySnackSalesFactory(factory.django.DjangoModelFactory[MonthlySnackSales]):
    """A month's sales of a snack (`month` its first day)."""

    class Meta:
        model = MonthlySnackSales

    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    snack = factory.SubFactory(SnackFactory)
    quantity = 2
