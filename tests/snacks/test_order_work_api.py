"""The order work over HTTP: a task's state and progress, and the invoice PDF.
Members see their own orders' work, shop admins everyone's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django_celery_results.models import TaskResult
from rest_framework.test import APIClient

from snacks.models import Order, OrderTask, OrderTaskKind
from tests.accounts.factories import UserFactory
from tests.snacks.factories import OrderFactory
from tests.snacks.order_api import api_error, shop_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
TASKS = "/api/v1/shop/tasks/"


def _work(order: Order, **fields: Any) -> OrderTask:
    return OrderTask.objects.create(
        order=order, kind=OrderTaskKind.SHIPPING_REGISTRATION, created_at=NOW, **fields
    )


class TestTaskStatus:
    def test_a_task_no_worker_took_is_pending(self) -> None:
        order = OrderFactory.create()
        work = _work(order)

        response = shop_client(order.member).get(f"{TASKS}{work.task_id}/")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["state"] == "PENDING"
        assert body["kind"] == "shipping_registration"
        assert body["order_id"] == str(order.id)
        assert body["finished_at"] is None

    def test_shows_the_step_of_a_task_in_progress(self) -> None:
        order = OrderFactory.create()
        work = _work(order)
        TaskResult.objects.create(
            task_id=str(work.task_id),
            status="PROGRESS",
            result=json.dumps({"step": "registering (attempt 3)"}),
        )

        body = shop_client(order.member).get(f"{TASKS}{work.task_id}/").json()

        assert body["state"] == "PROGRESS"
        assert body["progress"] == {"step": "registering (attempt 3)"}

    def test_shows_why_a_task_failed(self) -> None:
        order = OrderFactory.create()
        work = _work(order)
        TaskResult.objects.create(
            task_id=str(work.task_id),
            status="FAILURE",
            result=json.dumps(
                {"exc_type": "ShippingUnavailable", "exc_message": ["Partner down"]}
            ),
        )

        body = shop_client(order.member).get(f"{TASKS}{work.task_id}/").json()

        assert body["state"] == "FAILURE" and "Partner down" in body["error"]

    def test_finished_work_reads_as_success(self) -> None:
        order = OrderFactory.create()
        work = _work(order, finished_at=NOW)

        body = shop_client(order.member).get(f"{TASKS}{work.task_id}/").json()

        assert body["state"] == "SUCCESS"

    def test_another_members_task_is_not_found(self) -> None:
        work = _work(OrderFactory.create())

        response = shop_client(UserFactory.create()).get(f"{TASKS}{work.task_id}/")

        api_error(response, 404, "not_found")

    def test_a_shop_admin_sees_any_task(self) -> None:
        work = _work(OrderFactory.create())

        response = shop_client(UserFactory.create(shop_admin=True)).get(
            f"{TASKS}{work.task_id}/"
        )

        assert response.status_code == 200

    def test_refuses_a_malformed_id_and_an_unknown_one(self) -> None:
        client = shop_client(UserFactory.create())

        api_error(client.get(f"{TASKS}not-a-uuid/"), 400, "validation_error")
        api_error(client.get(f"{TASKS}{uuid.uuid4()}/"), 404, "not_found")

    def test_requires_a_signed_in_member(self) -> None:
        work = _work(OrderFactory.create())

        response = APIClient().get(f"{TASKS}{work.task_id}/")

        assert response.status_code == 401


class TestInvoiceDownload:
    def _invoiced(self) -> Order:
        order = OrderFactory.create()
        order.invoice_pdf.save(
            f"order-{order.id}.pdf", ContentFile(b"%PDF-1.4 test"), save=True
        )
        return order

    def test_the_member_downloads_their_invoice(self) -> None:
        order = self._invoiced()

        response = shop_client(order.member).get(
            f"/api/v1/shop/orders/{order.id}/invoice.pdf"
        )

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.getvalue().startswith(b"%PDF-")
        assert f"order-{order.id}.pdf" in response["Content-Disposition"]

    def test_another_member_gets_a_404(self) -> None:
        order = self._invoiced()

        response = shop_client(UserFactory.create()).get(
            f"/api/v1/shop/orders/{order.id}/invoice.pdf"
        )

        assert "another member's" in api_error(response, 404, "not_found")["message"]

    def test_no_invoice_yet_is_a_404_that_says_so(self) -> None:
        order = OrderFactory.create()

        response = shop_client(order.member).get(
            f"/api/v1/shop/orders/{order.id}/invoice.pdf"
        )

        body = api_error(response, 404, "not_found")
        assert body["message"].startswith("The order has no invoice yet")
