"""Paying for an order from its page: asking for the hold again, and trying again
with a new order after a declined card canceled one."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from snacks.models import HoldStatus, Order, OrderStatus, Snack
from snacks.services import apply_billing_event, request_hold
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_scenarios import move_as, placed
from tests.snacks.web.pages import page_text, signed_in

pytestmark = pytest.mark.django_db

STILL_ON_ITS_WAY = "The bank's answer is still on its way; try again in a moment."


def _on_the_card_page(member: User, **snack: object) -> Order:
    """An order whose member was sent to billing's card page."""
    order = placed(member, snacks=[SnackFactory.create(**snack)], quantity=2)
    return request_hold(order.id, now=timezone.now())


def _declined(order: Order) -> Order:
    """Billing's news that the card page's payment failed, which cancels it."""
    apply_billing_event(
        "payment.failed",
        {
            "pays": order.reference,
            "payment_id": str(uuid.uuid4()),
            "failure_message": "card_declined",
        },
        now=timezone.now(),
    )
    return Order.objects.get(id=order.id)


class TestPay:
    def test_asks_for_the_hold_again_and_sends_the_member_to_the_card_page(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True
        order = _on_the_card_page(member)
        billing.unavailable = False

        response = signed_in(member).post(f"/shop/orders/{order.id}/pay/")

        paid = Order.objects.get(id=order.id)
        assert paid.hold_status == HoldStatus.REQUIRES_ACTION
        assert response.status_code == 302
        assert response["Location"] == paid.checkout_url

    def test_billing_still_unreachable_is_said_in_words(
        self, member: User, billing: FakeBilling
    ) -> None:
        order = placed(member)
        billing.unavailable = True
        browser = signed_in(member)

        response = browser.post(f"/shop/orders/{order.id}/pay/", follow=True)

        assert "Billing could not be reached" in page_text(response.content)
        assert Order.objects.get(id=order.id).hold_status == HoldStatus.NONE

    def test_another_members_order_is_not_found_and_nothing_is_asked(
        self, member: User, billing: FakeBilling
    ) -> None:
        order = placed(UserFactory.create())

        response = signed_in(member).post(f"/shop/orders/{order.id}/pay/")

        assert response.status_code == 404
        assert billing.calls == 0

    def test_a_canceled_order_is_not_paid_for(
        self, member: User, admin: User, billing: FakeBilling
    ) -> None:
        order = move_as(placed(member), OrderStatus.CANCELED, admin)
        browser = signed_in(member)

        response = browser.post(f"/shop/orders/{order.id}/pay/", follow=True)

        assert "The order is canceled: it is not paid for now." in page_text(
            response.content
        )
        assert billing.calls == 0


class TestTryAgain:
    def test_a_declined_card_offers_a_new_order_of_the_same_snacks(
        self, member: User, billing: FakeBilling
    ) -> None:
        order = _declined(_on_the_card_page(member, amount_minor=250, currency="EUR"))
        browser = signed_in(member)

        page = browser.get(f"/shop/orders/{order.id}/")
        response = browser.post(f"/shop/orders/{order.id}/again/")

        assert order.status == OrderStatus.CANCELED
        assert "The card was declined: card_declined" in page_text(page.content)
        assert f'action="/shop/orders/{order.id}/again/"' in page.content.decode()
        again = Order.objects.exclude(id=order.id).get()
        assert response["Location"] == again.checkout_url
        assert [(p.snack_id, p.quantity) for p in again.purchases.all()] == [
            (p.snack_id, p.quantity) for p in order.purchases.all()
        ]
        assert again.amount_minor == 500
        assert len(billing.checkouts) == 2

    def test_before_billings_answer_arrives_it_says_to_wait(self, member: User) -> None:
        order = _on_the_card_page(member)
        browser = signed_in(member)

        page = browser.get(
            f"/shop/orders/{order.id}/?checkout=cs_1&status=failed&reason=declined"
        )
        response = browser.post(f"/shop/orders/{order.id}/again/", follow=True)

        assert "The card was declined: the bank's reason code declined." in page_text(
            page.content
        )
        assert f'action="/shop/orders/{order.id}/again/"' in page.content.decode()
        assert STILL_ON_ITS_WAY in page_text(response.content)
        assert Order.objects.count() == 1

    def test_a_snack_retired_since_is_named_and_nothing_is_ordered(
        self, member: User
    ) -> None:
        order = _declined(_on_the_card_page(member, name="Gone"))
        Snack.objects.filter(name="Gone").update(retired_at=timezone.now())
        browser = signed_in(member)

        response = browser.post(f"/shop/orders/{order.id}/again/", follow=True)

        assert "These snacks are retired: Gone." in page_text(response.content)
        assert Order.objects.count() == 1

    def test_an_order_the_member_canceled_is_not_tried_again(
        self, member: User
    ) -> None:
        order = move_as(placed(member), OrderStatus.CANCELED, member)
        browser = signed_in(member)

        page = browser.get(f"/shop/orders/{order.id}/")
        response = browser.post(f"/shop/orders/{order.id}/again/", follow=True)

        assert "Try again" not in page_text(page.content)
        assert "Only an order a declined card canceled" in page_text(response.content)
        assert Order.objects.count() == 1

    def test_an_admin_does_not_order_for_the_member(
        self, member: User, admin: User
    ) -> None:
        order = _declined(_on_the_card_page(member))
        browser = signed_in(admin)

        response = browser.post(f"/shop/orders/{order.id}/again/", follow=True)

        assert "Only the order's member" in page_text(response.content)
        assert Order.objects.count() == 1
