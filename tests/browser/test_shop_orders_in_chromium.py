"""The shop's order pages in a real browser, on a phone's width: the order form's
live total per currency, the orders' table, and an order's page that follows the
order through the API."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from snacks.models import OrderStatus, OrderTask, OrderTaskKind
from snacks.services import move_order, place_order
from tests.accounts.factories import UserFactory
from tests.browser.shop import PHONE, signed_in_as, too_wide_for_a_phone
from tests.snacks.factories import OrderFactory, OrderTaskFactory, SnackFactory

# The live server answers from its own thread: its writes must really commit.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _on_a_phone_as(page: Page, live_server: LiveServer, user: User) -> None:
    signed_in_as(page, live_server.url, user)
    page.set_viewport_size(PHONE)


def _fits_the_width(page: Page) -> None:
    """Nothing on the page makes it scroll sideways."""
    assert too_wide_for_a_phone(page) == []


class TestOrderPagesInChromium:
    def test_the_total_adds_up_per_currency_as_quantities_are_typed(
        self, fresh_page: Page, live_server: LiveServer
    ) -> None:
        SnackFactory.create(name="Mars", amount_minor=250, currency="EUR")
        SnackFactory.create(name="Pocky", amount_minor=500, currency="JPY")
        _on_a_phone_as(fresh_page, live_server, UserFactory.create())
        fresh_page.goto(f"{live_server.url}/shop/orders/new/")
        total = fresh_page.locator("[data-order-total]")

        fresh_page.get_by_label("Mars, €2.50").fill("2")

        expect(total).to_have_text("€5.00 (2 snacks)")
        fresh_page.get_by_label("Pocky, ¥500").fill("3")
        expect(total).to_have_text(
            "€5.00 (2 snacks) and ¥1,500 (3 snacks) — an order holds one currency"
        )
        fresh_page.get_by_label("Pocky, ¥500").fill("-4")
        expect(total).to_have_text(
            "Give each quantity as a whole number from 0 to 1,000 to see the total"
        )
        fresh_page.get_by_label("Pocky, ¥500").fill("1001")
        expect(total).to_contain_text("Give each quantity as a whole number")
        fresh_page.get_by_label("Mars, €2.50").fill("0")
        fresh_page.get_by_label("Pocky, ¥500").fill("0")
        expect(total).to_have_text("Nothing picked yet")
        _fits_the_width(fresh_page)

    def test_the_orders_table_stacks_on_a_phone(
        self, fresh_page: Page, live_server: LiveServer
    ) -> None:
        member = UserFactory.create()
        snack = SnackFactory.create(name="A snack with a rather long name indeed")
        place_order(member=member, purchases=[(snack.id, 12)], now=timezone.now())
        _on_a_phone_as(fresh_page, live_server, member)

        fresh_page.goto(f"{live_server.url}/shop/orders/")

        expect(fresh_page.locator("table.stack thead")).to_be_hidden()
        expect(fresh_page.locator("td[data-label=Amount]")).to_be_visible()
        _fits_the_width(fresh_page)

    def test_an_orders_page_shows_the_order_again_when_it_moves(
        self, fresh_page: Page, live_server: LiveServer
    ) -> None:
        member = UserFactory.create()
        order = place_order(
            member=member,
            purchases=[(SnackFactory.create().id, 2)],
            now=timezone.now(),
        )
        _on_a_phone_as(fresh_page, live_server, member)
        fresh_page.goto(f"{live_server.url}/shop/orders/{order.id}/")
        _fits_the_width(fresh_page)

        move_order(
            order_id=order.id,
            to_status=OrderStatus.APPROVED,
            actor=UserFactory.create(shop_admin=True),
            now=timezone.now(),
        )

        expect(fresh_page.locator("article[data-order-url]")).to_have_attribute(
            "data-status", "APPROVED"
        )
        expect(fresh_page.locator(".page-head .badge")).to_have_text("approved")


class TestTheOrdersWorkWhileThePageIsOpen:
    def test_follows_the_shipping_registration_from_the_task_status_endpoint(
        self, fresh_page: Page, live_server: LiveServer
    ) -> None:
        """What a worker reports (django-celery-results) reaches the open page, row
        by row, without reloading it."""
        order = OrderFactory.create(
            status=OrderStatus.SHIPPING, expected_arrival=timezone.localdate()
        )
        work = OrderTaskFactory.create(
            order=order, kind=OrderTaskKind.SHIPPING_REGISTRATION
        )
        _on_a_phone_as(fresh_page, live_server, order.member)
        fresh_page.goto(f"{live_server.url}/shop/orders/{order.id}/")
        fresh_page.evaluate("window.sameDocument = true")
        row = fresh_page.locator(f"[data-task-url*='{work.task_id}']")
        state = row.locator("[data-task-state]")
        expect(state).to_have_text("waiting")

        result = TaskResult.objects.create(
            task_id=str(work.task_id),
            status="PROGRESS",
            result=json.dumps({"step": "registering (attempt 2)"}),
        )
        expect(state).to_have_text("in progress")
        expect(row.locator("[data-task-detail]")).to_have_text(
            "registering (attempt 2)"
        )
        result.status = "SUCCESS"
        result.save(update_fields=["status"])
        OrderTask.objects.filter(id=work.id).update(finished_at=timezone.now())

        expect(state).to_have_text("done")
        assert fresh_page.evaluate("window.sameDocument") is True
