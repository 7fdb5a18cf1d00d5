"""The shop's order API, continued: the one move endpoint, asking for the hold
again, and the operations' documentation."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from snacks.models import HoldStatus, Order, OrderStatus
from tests.api_documentation import documented_operations
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_api import (
    ORDERS,
    TOMORROW,
    api_error,
    place_order_via_api,
    shop_client,
)
from tests.snacks.order_scenarios import (
    ORDER_OPERATIONS,
    authorize_hold,
    order_in,
    placed,
)

pytestmark = pytest.mark.django_db


class TestOrderMove:
    def _move(self, user: User, order: Order, **body: Any) -> Any:
        return shop_client(user).post(
            f"{ORDERS}{order.id}/status/", body, format="json"
        )

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

        api_error(
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
        api_error(
            self._move(admin, placed(), status="COMPLETED"),
            409,
            "invalid_status_transition",
        )

    def test_refuses_approving_a_hated_snack(self, admin: User) -> None:
        order = placed(snacks=[SnackFactory.create(name="Liquorice", hates=1)])

        body = api_error(
            self._move(admin, order, status="APPROVED"), 409, "snacks_hated"
        )

        assert "Liquorice" in body["message"]

    def test_refuses_ordering_before_the_hold_is_authorized(self, admin: User) -> None:
        order = placed()
        self._move(admin, order, status="APPROVED")

        api_error(
            self._move(admin, order, status="ORDERED", expected_arrival=TOMORROW),
            409,
            "hold_not_authorized",
        )

    def test_refuses_ordering_without_an_arrival_date(self, admin: User) -> None:
        body = api_error(
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
        api_error(self._move(admin, placed(), **body), 400, "validation_error")


class TestOrderHold:
    def test_asks_billing_again_once_it_answers(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True
        order_id = place_order_via_api(
            shop_client(member), (SnackFactory.create().id, 1)
        ).json()["id"]
        billing.unavailable = False
        billing.give_card(member.id)

        response = shop_client(member).post(f"{ORDERS}{order_id}/hold/")

        assert response.status_code == 200
        assert response.json()["hold_status"] == "REQUESTED"
        assert len(billing.authorizations) == 1

    def test_asks_nothing_while_a_hold_stands(self, billing: FakeBilling) -> None:
        order = authorize_hold(placed())

        response = shop_client(order.member).post(f"{ORDERS}{order.id}/hold/")

        assert response.json()["hold_status"] == HoldStatus.AUTHORIZED
        assert len(billing.authorizations) == 1

    def test_tells_billings_refusal(self, member: User, billing: FakeBilling) -> None:
        order = placed(member)
        billing.refuse_with = "payer_blocked"

        body = api_error(
            shop_client(member).post(f"{ORDERS}{order.id}/hold/"),
            409,
            "billing_refused",
        )

        assert body["extra"]["reason"] == "payer_blocked"

    def test_another_members_order_is_not_found(self, member: User) -> None:
        api_error(
            shop_client(member).post(f"{ORDERS}{placed().id}/hold/"), 404, "not_found"
        )


class TestDocumentation:
    def test_the_schema_documents_every_order_operation(self) -> None:
        missing = ORDER_OPERATIONS - documented_operations()

        assert missing == set()
