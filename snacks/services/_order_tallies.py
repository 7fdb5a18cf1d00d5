"""The orders' daily totals (`DailyOrderTotal`, `DailySnackSales`), kept in step
with the orders in the transaction of every change.

A change is told as the order's tally before and after it: placing an order has
no tally before, a move changes the status (and, to CANCELED, drops its snacks),
an edit changes the amount and the snacks. Each total changes by the difference,
in one upsert per table that adds to the row (`INSERT … ON CONFLICT DO UPDATE`,
the same statement on PostgreSQL and SQLite), or one update that takes away, so
two orders of the same day never overwrite each other's counts. The rows are
written one by one in key order, so that two transactions lock them in the same
order and never deadlock.

A total that an order would take from but that is not there (the totals were
emptied by hand) is logged as `snacks.statistics.out_of_step`;
`python manage.py rebuild_order_statistics` counts every order again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import Count, DateField, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from kit.batches import batched
from snacks.models import (
    DailyOrderTotal,
    DailySnackSales,
    MonthlySnackSales,
    Order,
    OrderStatus,
    Purchase,
    Snack,
)

RECOUNT_BATCH_SIZE: Final = 5000

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderTally:
    """What one order adds to the daily totals."""

    day: dt.date
    status: str
    currency: str
    amount_minor: int
    # Quantity by snack; none for a canceled order.
    quantities: Mapping[uuid.UUID, int] = field(default_factory=dict)


def tally_of(order: Order) -> OrderTally:
    """The order's tally as it stands in the database's purchases."""
    purchases = Purchase.objects.filter(order_id=order.id).values_list(
        "snack_id", "quantity"
    )
    return tally_with(order, purchases)


def tally_with(order: Order, purchases: Iterable[tuple[uuid.UUID, int]]) -> OrderTally:
    """The order's tally with `purchases` (snack id, quantity)."""
    canceled = order.status == OrderStatus.CANCELED
    return OrderTally(
        day=order_day(order.created_at),
        status=order.status,
        currency=order.currency,
        amount_minor=order.amount_minor,
        quantities={} if canceled else dict(purchases),
    )


def order_day(placed: dt.datetime) -> dt.date:
    """The day an order placed at `placed` counts in: the shop's time zone's."""
    return timezone.localtime(placed, timezone.get_default_timezone()).date()


def record_tally_change(before: OrderTally | None, after: OrderTally | None) -> None:
    """Move the daily totals from the order's tally `before` to `after`."""
    orders: Counter[tuple[dt.date, str, str]] = Counter()
    amounts: Counter[tuple[dt.date, str, str]] = Counter()
    sales: Counter[tuple[dt.date, uuid.UUID]] = Counter()
    for tally, sign in ((before, -1), (after, 1)):
        if tally is None:
            continue
        key = (tally.day, tally.status, tally.currency)
        orders[key] += sign
        amounts[key] += sign * tally.amount_minor
        for snack_id, quantity in tally.quantities.items():
            sales[(tally.day, snack_id)] += sign * quantity
    _add_to_order_totals(
        [(*key, orders[key], amounts[key]) for key in sorted({*orders, *amounts})]
    )
    _add_to_snack_sales(
        [(day, snack_id, n) for (day, snack_id), n in sorted(sales.items()) if n]
    )


def _add_to_order_totals(rows: list[tuple[dt.date, str, str, int, int]]) -> None:
    for day, status, currency, orders, amount in rows:
        if orders or amount:
            _add_to_row(
                DailyOrderTotal,
                {"day": day, "status": status, "currency": currency},
                {"orders": orders, "amount_minor": amount},
            )


def _add_to_snack_sales(rows: list[tuple[dt.date, uuid.UUID, int]]) -> None:
    monthly: Counter[tuple[dt.date, uuid.UUID]] = Counter()
    for day, snack_id, quantity in rows:
        snack = Snack._meta.pk.get_db_prep_value(snack_id, connection)
        _add_to_row(
            DailySnackSales, {"day": day, "snack_id": snack}, {"quantity": quantity}
        )
        monthly[(day.replace(day=1), snack_id)] += quantity
    for (month, snack_id), quantity in sorted(monthly.items()):
        snack = Snack._meta.pk.get_db_prep_value(snack_id, connection)
        if quantity:
            _add_to_row(
                MonthlySnackSales,
                {"month": month, "snack_id": snack},
                {"quantity": quantity},
            )


def _add_to_row(model: type[Any], key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the row of `key`: an upsert when they only add (the row may
    not be there yet), an update when one takes away (the row is there, and its
    check would refuse the negative row an upsert first proposes)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    added = ", ".join(
        f"{quote(column)} = {table}.{quote(column)} + %s" for column in deltas
    )
    with connection.cursor() as cursor:
        if min(deltas.values()) >= 0:
            columns = [*key, *deltas]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(columns))}) "
                f"ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {added}",
                [*key.values(), *deltas.values(), *deltas.values()],
            )
            return
        matching = " AND ".join(f"{quote(column)} = %s" for column in key)
        cursor.execute(
            f"UPDATE {table} SET {added} WHERE {matching}",  # noqa: S608
            [*deltas.values(), *key.values()],
        )
        if cursor.rowcount == 0:
            logger.warning(
                "snacks.statistics.out_of_step",
                extra={"table": model._meta.db_table, "key": str(key)},
            )


class _Models(Protocol):
    def get_model(self, app_label: str, model_name: str) -> Any: ...


def recount_order_statistics(*, models: _Models = installed_apps) -> tuple[int, int]:
    """Count every order into the daily totals again, from nothing, in the shop's
    time zone now; the number of order-total and snack-sales rows written.

    `models` gives the model classes (a migration passes its own).
    """
    order_model = models.get_model("snacks", "Order")
    purchase_model = models.get_model("snacks", "Purchase")
    totals_model = models.get_model("snacks", "DailyOrderTotal")
    sales_model = models.get_model("snacks", "DailySnackSales")
    monthly_model = models.get_model("snacks", "MonthlySnackSales")
    zone = timezone.get_default_timezone()
    with transaction.atomic():
        for model in (totals_model, sales_model, monthly_model):
            model.objects.all().delete()
        totals = (
            order_model.objects.annotate(day=_day_of("created_at", zone))
            .values_list("day", "status", "currency")
            .annotate(orders=Count("id"), amount=Sum("amount_minor"))
            .order_by()
        )
        sales = (
            purchase_model.objects.exclude(order__status=OrderStatus.CANCELED)
            .annotate(day=_day_of("order__created_at", zone))
            .values_list("day", "snack_id")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        written_totals = _write_all(
            totals_model,
            (
                {"day": d, "status": s, "currency": c, "orders": n, "amount_minor": a}
                for d, s, c, n, a in totals.iterator(chunk_size=RECOUNT_BATCH_SIZE)
            ),
        )
        written_sales = _write_all(
            sales_model,
            (
                {"day": d, "snack_id": snack_id, "quantity": quantity}
                for d, snack_id, quantity in sales.iterator(
                    chunk_size=RECOUNT_BATCH_SIZE
                )
            ),
        )
        monthly = (
            sales_model.objects.annotate(
                month=Trunc("day", "month", output_field=DateField())
            )
            .values_list("month", "snack_id")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        _write_all(
            monthly_model,
            (
                {"month": month, "snack_id": snack_id, "quantity": quantity}
                for month, snack_id, quantity in monthly.iterator(
                    chunk_size=RECOUNT_BATCH_SIZE
                )
            ),
        )
    return written_totals, written_sales


def _day_of(placed: str, zone: dt.tzinfo) -> Trunc:
    return Trunc(placed, "day", output_field=DateField(), tzinfo=zone)


def _write_all(model: type[Any], rows: Iterator[dict[str, Any]]) -> int:
    written = 0
    for batch in batched(rows, RECOUNT_BATCH_SIZE):
        model.objects.bulk_create([model(**row) for row in batch])
        written += len(batch)
    return written
