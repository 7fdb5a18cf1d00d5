"""Canceling an order, and an admin's moves through the flow, from its page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from accounts.models import User
from snacks.models import HoldStatus, Order, OrderStatus
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import authorize_hold, move_as, order_in, placed
from tests.snacks.web.pages import field_errors, page_text, signed_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db


def _next_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


def _status(order: Order) -> str:
    return Order.objects.get(id=order.id).status


def _done(user: User, order: Order, action: str, fields: dict[str, str]) -> str:
    """Post the action as `user`, and the words of the order's page it went back
    to (the action was done)."""
    response = signed_in(user).post(
        f"/shop/orders/{order.id}/{action}/", fields, follow=True
    )
    assert response.redirect_chain == [(f"/shop/orders/{order.id}/", 302)]
    return page_text(response.content)


class TestCancel:
    def test_the_member_cancels_once_confirmed(self, member: User) -> None:
        order = placed(member)
        confirmed = {"cancel-reason": "Ordered by mistake", "cancel-confirm": "on"}

        text = _done(member, order, "cancel", confirmed)

        assert "The order is canceled" in text
        canceled = Order.objects.get(id=order.id)
        assert canceled.status == OrderStatus.CANCELED
        assert canceled.cancel_reason == "Ordered by mistake"
        assert f"created canceled {member.email} Ordered by mistake" in text

    def test_without_the_tick_nothing_is_canceled_and_the_reason_is_kept(
        self, member: User
    ) -> None:
        order = placed(member)

        response = signed_in(member).post(
            f"/shop/orders/{order.id}/cancel/", {"cancel-reason": "Too sweet"}
        )

        assert response.status_code == 200
        assert field_errors(response.content) == {
            "cancel-confirm": ["Tick the box to confirm that you cancel it."]
        }
        assert "Too sweet</textarea>" in response.content.decode()
        assert _status(order) == OrderStatus.CREATED

    def test_an_ordered_order_cannot_be_canceled_and_says_why(
        self, admin: User
    ) -> None:
        order = order_in(OrderStatus.ORDERED, admin=admin)
        member = order.member

        page = signed_in(member).get(f"/shop/orders/{order.id}/")
        response = signed_in(member).post(
            f"/shop/orders/{order.id}/cancel/", {"cancel-confirm": "on"}
        )

        assert "Cancel the order" not in page_text(page.content)
        assert "An order cannot go from ordered to canceled." in page_text(
            response.content
        )
        assert _status(order) == OrderStatus.ORDERED

    def test_another_members_order_is_not_found(self, member: User) -> None:
        order = placed(UserFactory.create())

        response = signed_in(member).post(
            f"/shop/orders/{order.id}/cancel/", {"cancel-confirm": "on"}
        )

        assert response.status_code == 404
        assert _status(order) == OrderStatus.CREATED

    def test_a_get_cancels_nothing(self, member: User) -> None:
        order = placed(member)

        response = signed_in(member).get(f"/shop/orders/{order.id}/cancel/")

        assert response.status_code == 405
        assert _status(order) == OrderStatus.CREATED


class TestMove:
    def _move(self, user: User, order: Order, **fields: str) -> Response:
        given = {f"move-{name}": value for name, value in fields.items()}
        return signed_in(user).post(f"/shop/orders/{order.id}/move/", given)

    def test_an_admin_is_offered_only_the_next_statuses(self, admin: User) -> None:
        order = placed()

        content = signed_in(admin).get(f"/shop/orders/{order.id}/").content.decode()

        assert '<option value="APPROVED">Approved</option>' in content
        assert '<option value="CANCELED">Canceled</option>' in content
        assert '<option value="ORDERED">' not in content
        assert 'type="date" name="move-expected_arrival"' in content

    def test_an_admin_approves_with_a_reason_in_the_trail(self, admin: User) -> None:
        order = placed()

        text = _done(
            admin,
            order,
            "move",
            {"move-status": "APPROVED", "move-reason": "Looks good"},
        )

        assert "The order is approved." in text
        assert _status(order) == OrderStatus.APPROVED
        assert f"created approved {admin.email} Looks good" in text

    def test_an_admin_orders_with_an_arrival_date_once_the_hold_is_authorized(
        self, admin: User
    ) -> None:
        order = order_in(OrderStatus.APPROVED, admin=admin)
        arrival = _next_week()

        self._move(admin, order, status="ORDERED", expected_arrival=f"{arrival}")

        ordered = Order.objects.get(id=order.id)
        assert ordered.status == OrderStatus.ORDERED
        assert ordered.expected_arrival == arrival

    def test_ordering_without_an_arrival_date_is_refused_next_to_it(
        self, admin: User
    ) -> None:
        order = order_in(OrderStatus.APPROVED, admin=admin)

        response = self._move(admin, order, status="ORDERED", reason="Kept")

        errors = field_errors(response.content)
        assert errors == {
            "move-expected_arrival": [
                "An order moving to ordered needs its expected arrival date."
            ]
        }
        assert "Kept</textarea>" in response.content.decode()
        assert '<option value="ORDERED" selected>' in response.content.decode()
        assert _status(order) == OrderStatus.APPROVED

    def test_an_arrival_date_in_the_past_is_refused_as_typed(self, admin: User) -> None:
        order = order_in(OrderStatus.APPROVED, admin=admin)
        yesterday = timezone.localdate() - dt.timedelta(days=1)

        response = self._move(
            admin, order, status="ORDERED", expected_arrival=f"{yesterday}"
        )

        content = response.content
        assert "is in the past" in field_errors(content)["move-expected_arrival"][0]
        assert f'value="{yesterday}"' in content.decode()
        assert _status(order) == OrderStatus.APPROVED

    def test_a_date_that_is_not_a_date_is_refused_as_typed(self, admin: User) -> None:
        order = order_in(OrderStatus.APPROVED, admin=admin)

        response = self._move(
            admin, order, status="ORDERED", expected_arrival="2026-02-31"
        )

        content = response.content
        assert field_errors(content) == {
            "move-expected_arrival": ["Give a date as YYYY-MM-DD."]
        }
        assert 'value="2026-02-31"' in content.decode()

    def test_an_arrival_date_for_an_approval_is_refused(self, admin: User) -> None:
        order = placed()

        response = self._move(
            admin, order, status="APPROVED", expected_arrival=f"{_next_week()}"
        )

        assert (
            "Only the moves to ORDERED and SHIPPING"
            in (field_errors(response.content)["move-expected_arrival"][0])
        )
        assert _status(order) == OrderStatus.CREATED

    def test_ordering_before_the_hold_is_authorized_is_refused(
        self, admin: User
    ) -> None:
        order = move_as(placed(), OrderStatus.APPROVED, admin)

        response = self._move(
            admin, order, status="ORDERED", expected_arrival=f"{_next_week()}"
        )

        assert "The card hold is not authorized yet (it is not paid)" in page_text(
            response.content
        )
        assert _status(order) == OrderStatus.APPROVED

    def test_approving_hated_snacks_is_refused_naming_them(self, admin: User) -> None:
        hated = SnackFactory.create(name="Liquorice", likes=1, hates=5)
        order = placed(snacks=[hated, SnackFactory.create(name="Mars")])

        response = self._move(admin, order, status="APPROVED")

        assert (
            "The order cannot be approved: more hates than likes for Liquorice."
            in page_text(response.content)
        )
        assert _status(order) == OrderStatus.CREATED

    def test_a_move_the_flow_lacks_is_refused_in_words(self, admin: User) -> None:
        order = placed()

        response = self._move(admin, order, status="SHIPPING")

        assert "An order cannot go from created to shipping." in page_text(
            response.content
        )
        assert _status(order) == OrderStatus.CREATED

    def test_a_move_without_a_status_is_refused(self, admin: User) -> None:
        order = placed()

        response = self._move(admin, order, reason="")

        assert field_errors(response.content) == {
            "move-status": ["Choose the status to move the order to."]
        }

    def test_a_member_cannot_move_their_order(self, member: User) -> None:
        order = authorize_hold(placed(member))

        page = signed_in(member).get(f"/shop/orders/{order.id}/")
        response = self._move(member, order, status="APPROVED")

        assert "Move the order" not in page_text(page.content)
        assert response.status_code == 403
        assert "Only an admin of the shop may move an order to APPROVED" in (
            page_text(response.content)
        )
        assert _status(order) == OrderStatus.CREATED
        assert Order.objects.get(id=order.id).hold_status == HoldStatus.AUTHORIZED

    def test_a_member_posting_nonsense_is_refused_too(self, member: User) -> None:
        order = placed(member)

        response = self._move(member, order, status="LOST")

        assert response.status_code == 403
        assert _status(order) == OrderStatus.CREATED

    def test_an_unknown_order_is_not_found(self, admin: User) -> None:
        response = signed_in(admin).post(
            f"/shop/orders/{uuid.uuid4()}/move/", {"move-status": "APPROVED"}
        )

        assert response.status_code == 404
