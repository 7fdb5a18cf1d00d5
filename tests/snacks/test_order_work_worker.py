"""An order's work run by a real Celery worker process over RabbitMQ, as in
production: the task-status endpoint follows it through django-celery-results'
rows, which the worker writes, and the member downloads what it made."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from django.conf import LazySettings
from django_celery_results.models import TaskResult

from snacks.models import HoldStatus, Order, OrderStatus, OrderTaskKind
from tests.config.celery_worker import database_url, running_worker
from tests.snacks.factories import OrderTaskFactory, PurchaseFactory
from tests.snacks.order_api import shop_client

pytestmark = [pytest.mark.rabbitmq, pytest.mark.django_db(transaction=True)]

TASKS = "/api/v1/shop/tasks/"


@pytest.fixture
def worker(settings: LazySettings) -> Iterator[Celery]:
    """A worker on the test database, keeping results in it and files in the
    test's media folder."""
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_RESULT_BACKEND": "django-db",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with running_worker(env=env) as client:
        yield client


def _captured_order() -> Order:
    purchase = PurchaseFactory.create(
        order__status=OrderStatus.ORDERED,
        order__hold_status=HoldStatus.CAPTURED,
        order__expected_arrival=dt.date(2030, 1, 15),
    )
    return purchase.order


def _status_when_done(client: Any, task_id: str) -> dict[str, Any]:
    """The endpoint's answer once the worker has recorded the task's end."""
    deadline = time.monotonic() + 60
    done = ("SUCCESS", "FAILURE")
    while time.monotonic() < deadline:
        if TaskResult.objects.filter(task_id=task_id, status__in=done).exists():
            break
        time.sleep(0.2)
    status: dict[str, Any] = client.get(f"{TASKS}{task_id}/").json()
    return status


def test_the_worker_makes_the_invoice_and_the_member_follows_it(
    worker: Celery,
) -> None:
    order = _captured_order()
    work = OrderTaskFactory.create(order=order, kind=OrderTaskKind.INVOICE_PDF)
    member = shop_client(order.member)
    assert member.get(f"{TASKS}{work.task_id}/").json()["state"] == "PENDING"

    worker.send_task(
        "snacks.orders.invoice_pdf",
        kwargs={"order_id": str(order.id), "subject": ""},
        task_id=str(work.task_id),
    )

    status = _status_when_done(member, str(work.task_id))
    assert (status["state"], status["kind"]) == ("SUCCESS", "invoice_pdf")
    assert status["finished_at"] is not None
    invoice = member.get(f"/api/v1/shop/orders/{order.id}/invoice.pdf")
    assert invoice.status_code == 200
    assert invoice.getvalue().startswith(b"%PDF-")
