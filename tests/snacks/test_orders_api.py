"""The shop's order API: members place, read and change their orders with their
JWT, admins see and move everyone's. Every refusal is in the one error shape."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from snacks.models import Order, OrderStatus, OrderTaskKind
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_api import (
    ORDERS,
    api_error,
    place_order_via_api,
    purchases_body,
    shop_client,
)
from tests.snacks.order_scenarios import (
    authorize_hold,
    order_in,
    placed,
)

pytestmark = pytest.mark.django_db


class TestPlaceOrder:
    def test_places_the_order_and_holds_the_amount_on_the_saved_card(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.give_card(member.id)
        twix = SnackFactory.create(name="Twix", amount_minor=9_900)

        response = place_order_via_api(shop_client(member), (twix.id, 2))

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["purchases"] == [
            {
                "snack_id": str(twix.id),
                "name": "Twix",
                "quantity": 2,
                "price_minor": 9_900,
                "amount_minor": 19_800,
            }
        ]
        assert (body["amount_minor"], body["currency"], body["status"]) == (
            19_800,
            "RUB",
            "CREATED",
        )
        assert body["hold_status"] == "REQUESTED"
        assert body["payment_id"] is not None
        assert (body["invoice_pdf"], body["tasks"], body["status_changes"]) == (
            None,
            [],
            [],
        )
        assert body["member"]["id"] == str(member.id)
        hold = billing.authorizations[0]
        assert (hold.amount_minor, hold.reference) == (19_800, f"order:{body['id']}")

    def test_a_member_without_a_card_gets_the_checkout_page(self, member: User) -> None:
        response = place_order_via_api(
            shop_client(member), (SnackFactory.create().id, 1)
        )

        body = response.json()
        assert body["hold_status"] == "REQUIRES_ACTION"
        assert body["checkout_url"].startswith("https://billing.example/checkout/")

    def test_keeps_the_order_while_billing_is_down(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True

        response = place_order_via_api(
            shop_client(member), (SnackFactory.create().id, 1)
        )

        assert response.status_code == 201
        assert response.json()["hold_status"] == "NONE"

    def test_keeps_the_order_when_billing_refuses_the_hold(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.refuse_with = "payer_blocked"

        response = place_order_via_api(
            shop_client(member), (SnackFactory.create().id, 1)
        )

        assert response.status_code == 201
        assert Order.objects.filter(id=response.json()["id"]).exists()

    def test_names_the_field_for_mixed_currencies(self, member: User) -> None:
        rub, eur = (
            SnackFactory.create(currency="RUB"),
            SnackFactory.create(currency="EUR"),
        )

        body = api_error(
            place_order_via_api(shop_client(member), (rub.id, 1), (eur.id, 1)),
            400,
            "validation_error",
        )

        assert "purchases" in body["extra"]["fields"]
        assert body["extra"]["currencies"] == ["EUR", "RUB"]

    def test_refuses_a_snack_already_in_an_open_order(self, member: User) -> None:
        snack = SnackFactory.create(name="Twix")
        client = shop_client(member)
        place_order_via_api(client, (snack.id, 1))

        body = api_error(
            place_order_via_api(client, (snack.id, 1)), 409, "snack_already_ordered"
        )

        assert body["extra"]["snacks"][0]["name"] == "Twix"

    def test_refuses_a_retired_snack(self, member: User) -> None:
        retired = SnackFactory.create(retired_at="2026-01-01T00:00:00Z")

        api_error(
            place_order_via_api(shop_client(member), (retired.id, 1)),
            409,
            "snack_retired",
        )

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"purchases": []},
            {"purchases": "twix"},
            {"purchases": [{"snack_id": "42", "quantity": 1}]},
            {"purchases": [{"snack_id": str(uuid.uuid4()), "quantity": 1}]},
            {"purchases": [{"snack_id": str(uuid.uuid4())}]},
        ],
    )
    def test_refuses_a_malformed_body(self, member: User, body: Any) -> None:
        api_error(
            shop_client(member).post(ORDERS, body, format="json"),
            400,
            "validation_error",
        )

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, "1.5", True, None, 10**6, 2**70])
    def test_refuses_a_bad_quantity(self, member: User, quantity: Any) -> None:
        snack = SnackFactory.create()

        api_error(
            place_order_via_api(shop_client(member), (snack.id, quantity)),
            400,
            "validation_error",
        )

    def test_refuses_anonymous_callers(self) -> None:
        api_error(
            place_order_via_api(shop_client(None), (uuid.uuid4(), 1)),
            401,
            "not_authenticated",
        )


class TestOrderList:
    def test_a_member_sees_only_their_own(self, member: User) -> None:
        mine = placed(member)
        placed()

        body = shop_client(member).get(ORDERS).json()

        assert [row["id"] for row in body["results"]] == [str(mine.id)]

    def test_an_admin_sees_everyones_newest_first(self, admin: User) -> None:
        older = placed(now=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
        newer = placed(now=dt.datetime(2026, 2, 5, tzinfo=dt.UTC))

        body = shop_client(admin).get(ORDERS).json()

        assert [row["id"] for row in body["results"]] == [str(newer.id), str(older.id)]

    def test_filters_by_month_status_and_member(self, admin: User) -> None:
        january = placed(now=dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC))
        placed(now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        approved = order_in(OrderStatus.APPROVED)
        client = shop_client(admin)

        def ids(**query: str) -> list[str]:
            return [row["id"] for row in client.get(ORDERS, query).json()["results"]]

        assert ids(month="2026-01") == [str(january.id)]
        assert ids(status="APPROVED") == [str(approved.id)]
        assert ids(member=str(january.member_id)) == [str(january.id)]
        assert ids(month="2026-01", status="APPROVED") == []

    def test_reads_a_page_in_as_many_queries_whatever_its_length(
        self, admin: User, django_assert_max_num_queries: DjangoAssertNumQueries
    ) -> None:
        order_in(OrderStatus.SHIPPING, admin=admin)
        client = shop_client(admin)
        with CaptureQueriesContext(connection) as one_order:
            client.get(ORDERS)
        for status in (OrderStatus.ORDERED, OrderStatus.CANCELED, OrderStatus.CREATED):
            order_in(status, admin=admin)

        with django_assert_max_num_queries(len(one_order)):
            client.get(ORDERS)

    def test_is_paginated(self, member: User) -> None:
        for _ in range(3):
            placed(member)

        body = shop_client(member).get(ORDERS, {"limit": 2}).json()

        assert (body["count"], len(body["results"])) == (3, 2)
        assert body["next"] is not None

    @pytest.mark.parametrize(
        "query",
        [
            {"month": "2026-13"},
            {"month": "2026-1"},
            {"month": "January"},
            {"month": "0001-01"},
            {"status": "LOST"},
            {"member": "42"},
            {"month": "2026-01\x00"},
        ],
    )
    def test_refuses_a_bad_filter(self, member: User, query: dict[str, str]) -> None:
        api_error(shop_client(member).get(ORDERS, query), 400, "validation_error")


class TestOrderDetail:
    def test_shows_the_order_its_tasks_and_its_invoice(self, admin: User) -> None:
        order = order_in(OrderStatus.ORDERED, admin=admin)
        order.invoice_pdf.save("order.pdf", ContentFile(b"%PDF-1.4"), save=True)

        body = shop_client(order.member).get(f"{ORDERS}{order.id}/").json()

        kinds = {task["kind"] for task in body["tasks"]}
        assert OrderTaskKind.CAPTURE_HOLD in kinds
        assert body["invoice_pdf"] == (
            f"http://testserver/api/v1/shop/orders/{order.id}/invoice.pdf"
        )
        assert [change["to_status"] for change in body["status_changes"]] == [
            "APPROVED",
            "ORDERED",
        ]
        assert body["status_changes"][0]["actor"] == admin.email
        assert body["expected_arrival"] is not None

    def test_another_members_order_is_not_found(self, member: User) -> None:
        api_error(shop_client(member).get(f"{ORDERS}{placed().id}/"), 404, "not_found")

    def test_an_admin_reads_any_order(self, admin: User) -> None:
        assert shop_client(admin).get(f"{ORDERS}{placed().id}/").status_code == 200

    def test_answers_400_for_a_malformed_id(self, member: User) -> None:
        body = api_error(
            shop_client(member).get(f"{ORDERS}42/"), 400, "validation_error"
        )

        assert "order_id" in body["extra"]["fields"]

    def test_answers_404_for_an_unknown_order(self, member: User) -> None:
        api_error(shop_client(member).get(f"{ORDERS}{uuid.uuid4()}/"), 404, "not_found")


class TestOrderEdit:
    def test_changes_the_purchases_and_asks_for_a_new_hold(
        self, billing: FakeBilling
    ) -> None:
        order = authorize_hold(placed())
        snack = order.purchases.get().snack

        response = shop_client(order.member).patch(
            f"{ORDERS}{order.id}/", purchases_body((snack.id, 3)), format="json"
        )

        body = response.json()
        assert response.status_code == 200, body
        assert body["amount_minor"] == 3 * snack.amount_minor
        assert body["hold_status"] == "REQUESTED"
        assert body["payment_id"] not in (None, str(order.payment_id))
        assert [task["kind"] for task in body["tasks"]] == [
            OrderTaskKind.CONFIRMATION_EMAIL,
            OrderTaskKind.VOID_HOLD,
        ]
        assert billing.authorizations[-1].amount_minor == body["amount_minor"]

    def test_refuses_an_approved_order(self) -> None:
        order = order_in(OrderStatus.APPROVED)

        body = api_error(
            shop_client(order.member).patch(
                f"{ORDERS}{order.id}/",
                purchases_body((SnackFactory.create().id, 1)),
                format="json",
            ),
            409,
            "order_not_editable",
        )

        assert "approved" in body["message"]

    def test_another_member_is_told_no_such_order(self, member: User) -> None:
        order = placed()

        api_error(
            shop_client(member).patch(
                f"{ORDERS}{order.id}/", purchases_body((uuid.uuid4(), 1)), format="json"
            ),
            404,
            "not_found",
        )
