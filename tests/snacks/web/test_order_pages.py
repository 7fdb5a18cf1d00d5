"""Placing an order through the order form, and reading an order's page."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from snacks.models import HoldStatus, Order, OrderStatus
from tests.accounts.factories import UserFactory
from tests.snacks.factories import OrderTaskFactory, SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_scenarios import move_as, placed
from tests.snacks.web.pages import field_errors, page_text, signed_in

pytestmark = pytest.mark.django_db

NEW = "/shop/orders/new/"
QUANTITY_WORDS = "Give a whole number of snacks, from 0 to 1,000."


def _quantity(snack_id: object) -> str:
    return f"snack-{snack_id}"


class TestOrderForm:
    def test_lists_the_snacks_on_sale_with_their_prices_and_picks_the_one_asked(
        self, member: User
    ) -> None:
        mars = SnackFactory.create(name="Mars", amount_minor=250, currency="EUR")
        twix = SnackFactory.create(name="Twix", amount_minor=199, currency="EUR")
        SnackFactory.create(name="Gone", retired_at=timezone.now())

        response = signed_in(member).get(f"{NEW}?snack={twix.id}")

        text = page_text(response.content)
        assert "Mars, €2.50" in text
        assert "Twix, €1.99" in text
        assert "Gone" not in text
        content = response.content.decode()
        assert f'name="{_quantity(twix.id)}" value="1"' in content
        assert f'name="{_quantity(mars.id)}" value="0"' in content
        assert 'data-price-minor="250"' in content
        assert "data-order-form" in content
        assert 'data-currency="EUR" data-exponent="2" aria-live="polite"' in content
        assert "€1.99 (1 snack)" in text
        assert "one currency" not in text

    def test_says_an_order_holds_one_currency_when_the_shelf_has_several(
        self, member: User
    ) -> None:
        SnackFactory.create(name="Pocky", amount_minor=500, currency="JPY")
        SnackFactory.create(name="Mars", amount_minor=250, currency="EUR")

        response = signed_in(member).get(NEW)

        text = page_text(response.content)
        assert "Pocky, ¥500" in text
        assert "An order holds snacks of one currency" in text
        assert 'data-currency="JPY" data-exponent="0"' in response.content.decode()

    def test_a_member_without_a_saved_card_is_sent_to_billings_card_page(
        self, member: User, billing: FakeBilling
    ) -> None:
        mars = SnackFactory.create(amount_minor=250, currency="EUR")
        twix = SnackFactory.create(amount_minor=199, currency="EUR")

        response = signed_in(member).post(
            NEW, {_quantity(mars.id): "2", _quantity(twix.id): "0"}
        )

        order = Order.objects.get(member=member)
        assert response.status_code == 302
        assert response["Location"] == order.checkout_url
        assert order.checkout_url.startswith("https://billing.example/checkout/")
        assert order.hold_status == HoldStatus.REQUIRES_ACTION
        assert order.amount_minor == 500
        assert [(p.snack_id, p.quantity) for p in order.purchases.all()] == [
            (mars.id, 2)
        ]
        assert len(billing.checkouts) == 1

    def test_a_member_with_a_saved_card_lands_on_the_orders_page(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.give_card(member.id)
        snack = SnackFactory.create()
        browser = signed_in(member)

        response = browser.post(NEW, {_quantity(snack.id): "1"}, follow=True)

        order = Order.objects.get(member=member)
        assert response.redirect_chain == [(f"/shop/orders/{order.id}/", 302)]
        text = page_text(response.content)
        assert "The bank is holding the amount on your card." in text
        assert "Waiting for the bank" in text

    def test_unreachable_billing_keeps_the_order_and_offers_to_pay_later(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.unavailable = True
        snack = SnackFactory.create()

        response = signed_in(member).post(NEW, {_quantity(snack.id): "1"}, follow=True)

        order = Order.objects.get(member=member)
        assert order.hold_status == HoldStatus.NONE
        text = page_text(response.content)
        assert "Billing could not be reached" in text
        assert "Not paid yet." in text
        assert f'action="/shop/orders/{order.id}/pay/"' in response.content.decode()

    def test_a_refused_hold_keeps_the_order_and_says_why(
        self, member: User, billing: FakeBilling
    ) -> None:
        billing.refuse_with = "card_declined"
        snack = SnackFactory.create()

        response = signed_in(member).post(NEW, {_quantity(snack.id): "1"}, follow=True)

        assert Order.objects.get(member=member).hold_status == HoldStatus.FAILED
        assert "The card was declined: Refused." in page_text(response.content)

    def test_an_order_of_nothing_is_refused(self, member: User) -> None:
        snack = SnackFactory.create()

        response = signed_in(member).post(NEW, {_quantity(snack.id): "0"})

        assert response.status_code == 200
        assert "Pick at least one snack" in page_text(response.content)
        assert not Order.objects.exists()

    @pytest.mark.parametrize(
        "typed", ["-1", "1001", "abc", "1e3", "2.5", "9" * 5000, "99999999999999999999"]
    )
    def test_a_quantity_that_is_not_a_whole_number_up_to_1000_is_refused_as_typed(
        self, member: User, typed: str
    ) -> None:
        bad = SnackFactory.create()
        good = SnackFactory.create()

        response = signed_in(member).post(
            NEW, {_quantity(bad.id): typed, _quantity(good.id): "3"}
        )

        assert response.status_code == 200
        assert field_errors(response.content) == {_quantity(bad.id): [QUANTITY_WORDS]}
        assert f'value="{typed}"' in response.content.decode()
        assert f'name="{_quantity(good.id)}" value="3"' in response.content.decode()
        assert not Order.objects.exists()

    def test_a_snack_already_ordered_is_refused_next_to_it_with_its_order(
        self, member: User
    ) -> None:
        mars = SnackFactory.create(name="Mars")
        twix = SnackFactory.create(name="Twix")
        holder = placed(member, snacks=[mars])

        response = signed_in(member).post(
            NEW, {_quantity(mars.id): "1", _quantity(twix.id): "3"}
        )

        errors = field_errors(response.content)
        assert errors[_quantity(mars.id)][0].startswith(
            "Already in an open order of yours"
        )
        assert _quantity(twix.id) not in errors
        content = response.content.decode()
        assert f'<a href="/shop/orders/{holder.id}/">an open order of yours</a>' in (
            content
        )
        assert "Already in an open order: Mars." in page_text(response.content)
        assert f'name="{_quantity(twix.id)}" value="3"' in content
        assert Order.objects.count() == 1

    def test_snacks_of_two_currencies_are_refused_keeping_the_quantities(
        self, member: User
    ) -> None:
        euro = SnackFactory.create(amount_minor=250, currency="EUR")
        rouble = SnackFactory.create(amount_minor=12_900, currency="RUB")

        response = signed_in(member).post(
            NEW, {_quantity(euro.id): "2", _quantity(rouble.id): "1"}
        )

        text = page_text(response.content)
        assert "must be priced in one currency; these are in EUR, RUB" in text
        assert "€5.00 (2 snacks) and RUB 129.00 (1 snack)" in text
        assert f'name="{_quantity(euro.id)}" value="2"' in response.content.decode()
        assert not Order.objects.exists()

    def test_a_snack_retired_since_the_page_was_loaded_is_refused_by_name(
        self, member: User
    ) -> None:
        gone = SnackFactory.create(name="Gone", retired_at=timezone.now())

        response = signed_in(member).post(NEW, {_quantity(gone.id): "1"})

        assert "These snacks are retired: Gone." in page_text(response.content)
        assert not Order.objects.exists()

    def test_an_unknown_snack_in_the_names_is_refused_and_junk_names_ignored(
        self, member: User
    ) -> None:
        unknown = uuid.uuid4()
        snack = SnackFactory.create()

        response = signed_in(member).post(
            NEW,
            {
                _quantity(unknown): "1",
                _quantity(snack.id): "1",
                "snack-not-an-id": "4",
                "snack-": "x",
            },
        )

        assert response.status_code == 200
        assert f"No snack has the id {unknown}." in page_text(response.content)
        assert not Order.objects.exists()

    def test_a_malformed_snack_to_pick_is_ignored(self, member: User) -> None:
        SnackFactory.create(name="Mars")

        response = signed_in(member).get(f"{NEW}?snack=nonsense")

        assert response.status_code == 200
        assert "Nothing picked yet" in page_text(response.content)


class TestOrderPage:
    def test_shows_the_snacks_total_status_and_the_hooks_its_script_follows(
        self, member: User
    ) -> None:
        mars = SnackFactory.create(name="Mars", amount_minor=250, currency="EUR")
        order = placed(member, snacks=[mars], quantity=3)

        response = signed_in(member).get(f"/shop/orders/{order.id}/")

        content = response.content.decode()
        assert f'data-order-url="/api/v1/shop/orders/{order.id}/"' in content
        assert 'data-status="CREATED" data-hold-status="NONE"' in content
        assert 'data-invoice="no" data-tracking="" data-final="no"' in content
        text = page_text(response.content)
        assert "Mars €2.50 3 €7.50 Total €7.50" in text
        assert "Expected arrival Not known yet" in text
        assert "Not paid yet." in text
        assert "Pay €7.50" in text

    @pytest.mark.parametrize(
        ("hold_status", "words"),
        [
            (HoldStatus.REQUESTED, "Waiting for the bank."),
            (HoldStatus.REQUIRES_ACTION, "Pay on the card page."),
            (HoldStatus.AUTHORIZED, "€2.50 is held on your card."),
            (HoldStatus.CAPTURED, "€2.50 was taken from your card."),
            (HoldStatus.VOIDED, "The hold was released."),
            (HoldStatus.FAILED, "The card was declined: insufficient_funds"),
        ],
    )
    def test_says_how_the_payment_stands(
        self, member: User, hold_status: str, words: str
    ) -> None:
        order = placed(member, snacks=[SnackFactory.create(amount_minor=250)])
        Order.objects.filter(id=order.id).update(
            currency="EUR",
            amount_minor=250,
            hold_status=hold_status,
            hold_failure="insufficient_funds",
            checkout_url="https://billing.example/checkout/page/",
        )

        text = page_text(signed_in(member).get(f"/shop/orders/{order.id}/").content)

        assert words in text
        assert ("Go to the card page" in text) == (
            hold_status == HoldStatus.REQUIRES_ACTION
        )

    def test_an_admin_reads_the_members_card_and_what_needs_attention(
        self, member: User, admin: User
    ) -> None:
        order = placed(member)
        Order.objects.filter(id=order.id).update(
            hold_status=HoldStatus.AUTHORIZED, needs_attention="The capture failed."
        )

        admins = page_text(signed_in(admin).get(f"/shop/orders/{order.id}/").content)
        members = page_text(signed_in(member).get(f"/shop/orders/{order.id}/").content)

        assert "held on the member's card" in admins
        assert "Needs attention: The capture failed." in admins
        assert member.email in admins
        assert "The capture failed." not in members

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("status=succeeded", "Thank you — your card was accepted."),
            (
                "status=failed&reason=5051",
                "The card was declined: insufficient funds.",
            ),
            (
                "status=failed&reason=card_declined",
                "The card was declined: the bank did not approve the payment.",
            ),
            ("status=failed&reason=%3Cscript%3E", "The card was declined."),
        ],
    )
    def test_coming_back_from_the_card_page_says_how_it_went(
        self, member: User, query: str, words: str
    ) -> None:
        order = placed(member)

        response = signed_in(member).get(
            f"/shop/orders/{order.id}/?checkout=cs_1&{query}"
        )

        assert words in page_text(response.content)

    def test_a_declined_reason_that_is_not_a_code_is_left_out(
        self, member: User
    ) -> None:
        order = placed(member)

        response = signed_in(member).get(
            f"/shop/orders/{order.id}/?checkout=cs_1&status=failed&reason=<b>x</b>"
        )

        assert "The card was declined." in page_text(response.content)
        assert b"<b>x</b>" not in response.content

    def test_shows_the_invoice_tracking_number_and_trail_once_there(
        self, member: User, admin: User
    ) -> None:
        order = placed(member)
        move_as(order, OrderStatus.CANCELED, admin, reason="Out of stock")
        Order.objects.filter(id=order.id).update(
            invoice_pdf="shop/invoices/x.pdf", tracking_number="TRK-42"
        )

        response = signed_in(member).get(f"/shop/orders/{order.id}/")

        content = response.content.decode()
        assert f'href="/api/v1/shop/orders/{order.id}/invoice.pdf"' in content
        assert 'data-invoice="yes" data-tracking="TRK-42"' in content
        text = page_text(response.content)
        assert "Tracking number TRK-42" in text
        assert f"created canceled {admin.email} Out of stock" in text
        assert "Why it was canceled Out of stock" in text

    def test_lists_the_orders_work_for_its_script_to_follow(self, member: User) -> None:
        order = placed(member)
        task = OrderTaskFactory.create(order=order)

        response = signed_in(member).get(f"/shop/orders/{order.id}/")

        content = response.content.decode()
        assert f'data-task-url="/api/v1/shop/tasks/{task.task_id}/"' in content
        assert "data-task-state>waiting</span>" in content
        assert "data-task-detail" in content
        assert "E-mail confirming the order" in page_text(response.content)

    def test_an_order_that_can_change_no_more_is_not_followed(
        self, member: User, admin: User
    ) -> None:
        order = move_as(placed(member), OrderStatus.CANCELED, admin)

        response = signed_in(member).get(f"/shop/orders/{order.id}/")

        assert b'data-final="yes"' in response.content
        assert b"Cancel the order" not in response.content

    def test_another_members_order_is_not_found(self, member: User) -> None:
        order = placed(UserFactory.create())

        response = signed_in(member).get(f"/shop/orders/{order.id}/")

        assert response.status_code == 404
        assert "Not found" in page_text(response.content)
        assert str(order.id) not in response.content.decode()

    def test_an_unknown_or_malformed_order_id_is_not_found(self, member: User) -> None:
        browser = signed_in(member)

        assert browser.get(f"/shop/orders/{uuid.uuid4()}/").status_code == 404
        assert browser.get("/shop/orders/nonsense/").status_code == 404
