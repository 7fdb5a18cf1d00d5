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
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from snacks.models import HoldStatus, Order, OrderStatus, OrderTaskKind
from tests.accounts.factories import UserFactory
from tests.api_documentation import documented_operations
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_scenarios import (
    ORDER_OPERATIONS,
    authorize_hold,
    order_in,
    placed,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/shop/orders/"
TOMORROW = (dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=1)).date().isoformat()


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def member() -> User:
    return UserFactory.create()


@pytest.fixture
def admin() -> User:
    return UserFactory.create(shop_admin=True)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    return body


def _body(*pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "purchases": [
            {"snack_id": str(snack_id), "quantity": quantity}
            for snack_id, quantity in pairs
        ]
    }


def _place(client: APIClient, *pairs: tuple[Any, Any]) -> Any:
    return client.post(ORDERS, _body(*pairs), format="json")


class TestPlaceOrder:
    def test_places_the_order_and_holds_the_amount_on_the_saved_card(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.give_card(member.id)
        twix = SnackFactory.create(name="Twix", amount_minor=9_900)

        response = _place(_client(member), (twix.id, 2))

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
        response = _place(_client(member), (SnackFactory.create().id, 1))

        body = response.json()
        assert body["hold_status"] == "REQUIRES_ACTION"
        assert body["checkout_url"].startswith("https://billing.example/checkout/")

    def test_keeps_the_order_while_billing_is_down(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True

        response = _place(_client(member), (SnackFactory.create().id, 1))

        assert response.status_code == 201
        assert response.json()["hold_status"] == "NONE"

    def test_keeps_the_order_when_billing_refuses_the_hold(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.refuse_with = "payer_blocked"

        response = _place(_client(member), (SnackFactory.create().id, 1))

        assert response.status_code == 201
        assert Order.objects.filter(id=response.json()["id"]).exists()

    def test_names_the_field_for_mixed_currencies(self, member: User) -> None:
        rub, eur = (
            SnackFactory.create(currency="RUB"),
            SnackFactory.create(currency="EUR"),
        )

        body = _error(
            _place(_client(member), (rub.id, 1), (eur.id, 1)), 400, "validation_error"
        )

        assert "purchases" in body["extra"]["fields"]
        assert body["extra"]["currencies"] == ["EUR", "RUB"]

    def test_refuses_a_snack_already_in_an_open_order(self, member: User) -> None:
        snack = SnackFactory.create(name="Twix")
        client = _client(member)
        _place(client, (snack.id, 1))

        body = _error(_place(client, (snack.id, 1)), 409, "snack_already_ordered")

        assert body["extra"]["snacks"][0]["name"] == "Twix"

    def test_refuses_a_retired_snack(self, member: User) -> None:
        retired = SnackFactory.create(retired_at="2026-01-01T00:00:00Z")

        _error(_place(_client(member), (retired.id, 1)), 409, "snack_retired")

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
        _error(
            _client(member).post(ORDERS, body, format="json"), 400, "validation_error"
        )

    @pytest.mark.parametrize("quantity", [0, -1, 1.5, "1.5", True, None, 10**6, 2**70])
    def test_refuses_a_bad_quantity(self, member: User, quantity: Any) -> None:
        snack = SnackFactory.create()

        _error(_place(_client(member), (snack.id, quantity)), 400, "validation_error")

    def test_refuses_anonymous_callers(self) -> None:
        _error(_place(_client(None), (uuid.uuid4(), 1)), 401, "not_authenticated")


class TestOrderList:
    def test_a_member_sees_only_their_own(self, member: User) -> None:
        mine = placed(member)
        placed()

        body = _client(member).get(ORDERS).json()

        assert [row["id"] for row in body["results"]] == [str(mine.id)]

    def test_an_admin_sees_everyones_newest_first(self, admin: User) -> None:
        older = placed(now=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
        newer = placed(now=dt.datetime(2026, 2, 5, tzinfo=dt.UTC))

        body = _client(admin).get(ORDERS).json()

        assert [row["id"] for row in body["results"]] == [str(newer.id), str(older.id)]

    def test_filters_by_month_status_and_member(self, admin: User) -> None:
        january = placed(now=dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC))
        placed(now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        approved = order_in(OrderStatus.APPROVED)
        client = _client(admin)

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
        client = _client(admin)
        with CaptureQueriesContext(connection) as one_order:
            client.get(ORDERS)
        for status in (OrderStatus.ORDERED, OrderStatus.CANCELED, OrderStatus.CREATED):
            order_in(status, admin=admin)

        with django_assert_max_num_queries(len(one_order)):
            client.get(ORDERS)

    def test_is_paginated(self, member: User) -> None:
        for _ in range(3):
            placed(member)

        body = _client(member).get(ORDERS, {"limit": 2}).json()

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
        _error(_client(member).get(ORDERS, query), 400, "validation_error")


class TestOrderDetail:
    def test_shows_the_order_its_tasks_and_its_invoice(self, admin: User) -> None:
        order = order_in(OrderStatus.ORDERED, admin=admin)
        order.invoice_pdf.save("order.pdf", ContentFile(b"%PDF-1.4"), save=True)

        body = _client(order.member).get(f"{ORDERS}{order.id}/").json()

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
        _error(_client(member).get(f"{ORDERS}{placed().id}/"), 404, "not_found")

    def test_an_admin_reads_any_order(self, admin: User) -> None:
        assert _client(admin).get(f"{ORDERS}{placed().id}/").status_code == 200

    def test_answers_400_for_a_malformed_id(self, member: User) -> None:
        body = _error(_client(member).get(f"{ORDERS}42/"), 400, "validation_error")

        assert "order_id" in body["extra"]["fields"]

    def test_answers_404_for_an_unknown_order(self, member: User) -> None:
        _error(_client(member).get(f"{ORDERS}{uuid.uuid4()}/"), 404, "not_found")


class TestOrderEdit:
    def test_changes_the_purchases_and_asks_for_a_new_hold(
        self, billing: FakeBilling
    ) -> None:
        order = authorize_hold(placed())
        snack = order.purchases.get().snack

        response = _client(order.member).patch(
            f"{ORDERS}{order.id}/", _body((snack.id, 3)), format="json"
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

        body = _error(
            _client(order.member).patch(
                f"{ORDERS}{order.id}/",
                _body((SnackFactory.create().id, 1)),
                format="json",
            ),
            409,
            "order_not_editable",
        )

        assert "approved" in body["message"]

    def test_another_member_is_told_no_such_order(self, member: User) -> None:
        order = placed()

        _error(
            _client(member).patch(
                f"{ORDERS}{order.id}/", _body((uuid.uuid4(), 1)), format="json"
            ),
            404,
            "not_found",
        )


class TestOrderMove:
    def _move(self, user: User, order: Order, **body: Any) -> Any:
        return _client(user).post(f"{ORDERS}{order.id}/status/", body, format="json")

    def test_an_admin_approves(self, admin: User) -> None:
        response = self._move(admin, placed(), status="APPROVED")

        assert response.status_code == 200
        assert response.json()["status"] == "APPROVED"
        assert response.json()["approved_at"] is not None

    def test_an_admin_orders_with_the_arrival_date(self, admin: User) -> None:
        order = order_in(OrderStatus.APPROVED)

        response = self._move(admin, order, status="ORDERED", expected_arrival=TOMORROW)

        assert response.json()["expected_arrival"] == TOMORROW

    def test_a_member_may_not_approve(self) -> None:
        order = placed()

        _error(
            self._move(order.member, order, status="APPROVED"), 403, "permission_denied"
        )

    def test_a_member_cancels_with_a_reason(self) -> None:
        order = placed()

        body = self._move(
            order.member, order, status="CANCELED", reason="Ordered by mistake."
        ).json()

        assert (body["status"], body["cancel_reason"]) == (
            "CANCELED",
            "Ordered by mistake.",
        )

    def test_refuses_a_move_the_flow_lacks(self, admin: User) -> None:
        _error(
            self._move(admin, placed(), status="COMPLETED"),
            409,
            "invalid_status_transition",
        )

    def test_refuses_approving_a_hated_snack(self, admin: User) -> None:
        order = placed(snacks=[SnackFactory.create(name="Liquorice", hates=1)])

        body = _error(self._move(admin, order, status="APPROVED"), 409, "snacks_hated")

        assert "Liquorice" in body["message"]

    def test_refuses_ordering_before_the_hold_is_authorized(self, admin: User) -> None:
        order = placed()
        self._move(admin, order, status="APPROVED")

        _error(
            self._move(admin, order, status="ORDERED", expected_arrival=TOMORROW),
            409,
            "hold_not_authorized",
        )

    def test_refuses_ordering_without_an_arrival_date(self, admin: User) -> None:
        body = _error(
            self._move(admin, order_in(OrderStatus.APPROVED), status="ORDERED"),
            400,
            "validation_error",
        )

        assert "expected_arrival" in body["extra"]["fields"]

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"status": "approved"},
            {"status": "LOST"},
            {"status": "ORDERED", "expected_arrival": "2026-02-30"},
            {"status": "CANCELED", "reason": "x" * 1001},
            {"status": "CANCELED", "reason": "nul\x00byte"},
        ],
    )
    def test_refuses_a_malformed_body(self, admin: User, body: Any) -> None:
        _error(self._move(admin, placed(), **body), 400, "validation_error")


class TestOrderHold:
    def test_asks_billing_again_once_it_answers(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True
        order_id = _place(_client(member), (SnackFactory.create().id, 1)).json()["id"]
        billing.unavailable = False
        billing.give_card(member.id)

        response = _client(member).post(f"{ORDERS}{order_id}/hold/")

        assert response.status_code == 200
        assert response.json()["hold_status"] == "REQUESTED"
        assert len(billing.authorizations) == 1

    def test_asks_nothing_while_a_hold_stands(self, billing: FakeBilling) -> None:
        order = authorize_hold(placed())

        response = _client(order.member).post(f"{ORDERS}{order.id}/hold/")

        assert response.json()["hold_status"] == HoldStatus.AUTHORIZED
        assert len(billing.authorizations) == 1

    def test_tells_billings_refusal(self, member: User, billing: FakeBilling) -> None:
        order = placed(member)
        billing.refuse_with = "payer_blocked"

        body = _error(
            _client(member).post(f"{ORDERS}{order.id}/hold/"), 409, "billing_refused"
        )

        assert body["extra"]["reason"] == "payer_blocked"

    def test_another_members_order_is_not_found(self, member: User) -> None:
        _error(_client(member).post(f"{ORDERS}{placed().id}/hold/"), 404, "not_found")


class TestDocumentation:
    def test_the_schema_documents_every_order_operation(self) -> None:
        missing = ORDER_OPERATIONS - documented_operations()

        assert missing == set()
