"""A snack order paid by a hold, as the shop and billing run in production.

The shop places the order and asks billing over real gRPC to hold the amount on
the member's saved card, through the real adapter and SDK against the sandbox;
the shop learns every outcome from billing's event stream, through its consumer,
and its Celery work captures, voids, writes the invoice and registers shipping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import random
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.utils import timezone
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from grpc_api.generated.billing.v1 import events_pb2
from grpc_api.server import GrpcServer
from snacks.models import HoldStatus, Order, OrderStatus, Snack
from tests.accounts.factories import UserFactory
from tests.gateway_sandbox.shipping_merchant import registered
from tests.journeys.cards import CARDS
from tests.journeys.checkout_pages import Payer
from tests.journeys.shop import (
    CURRENCY,
    GATEWAY,
    ShopConsumer,
    billing_for_the_shop,
    member_with_a_saved_card,
    sandbox_kinds,
)
from tests.polling import wait_until
from tests.snacks.factories import SnackFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

ORDERS = "/api/v1/shop/orders/"


@pytest.fixture
def billing(sandbox_url: str) -> Iterator[GrpcServer]:
    with billing_for_the_shop() as server:
        yield server


@pytest.fixture
def consumer(billing: GrpcServer) -> Iterator[ShopConsumer]:
    running = ShopConsumer(f"127.0.0.1:{billing.port}")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def admin() -> User:
    return UserFactory.create(shop_admin=True)


def _api(user: User) -> APIClient:
    """The shop's REST API as `user` calls it, with the JWT of `accounts`."""
    client = APIClient()
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _placed(member: User, snacks: list[Snack]) -> Order:
    """POST the order: the API saves it, then asks billing for the hold."""
    response = _api(member).post(
        ORDERS,
        {"purchases": [{"snack_id": str(snack.id), "quantity": 2} for snack in snacks]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Order.objects.get(id=response.json()["id"])


def _move(order: Order, status: str, user: User, **fields: object) -> Order:
    """POST the order's one move endpoint."""
    body = {"status": status, **{name: str(value) for name, value in fields.items()}}
    response = _api(user).post(f"{ORDERS}{order.id}/status/", body, format="json")
    assert response.status_code == 200, response.content
    return Order.objects.get(id=order.id)


def _tomorrow() -> dt.date:
    return timezone.now().date() + dt.timedelta(days=1)


class TestAnOrderPaidByAHold:
    def test_held_then_captured_once_when_ordered_and_then_shipped(
        self, sandbox_url: str, consumer: ShopConsumer, admin: User
    ) -> None:
        member = member_with_a_saved_card(sandbox_url)
        snacks = SnackFactory.create_batch(2, amount_minor=12_900, currency=CURRENCY)

        order = _placed(member, snacks)
        held = consumer.wait_for(order.id, lambda o: o.hold_status == "AUTHORIZED")
        _move(held, OrderStatus.APPROVED, admin)
        _move(held, OrderStatus.ORDERED, admin, expected_arrival=_tomorrow())
        captured = consumer.wait_for(order.id, lambda o: bool(o.invoice_pdf))
        _move(captured, OrderStatus.SHIPPING, admin, expected_arrival=_tomorrow())
        done = _move(captured, OrderStatus.COMPLETED, admin)

        assert held.amount_minor == 2 * 2 * 12_900
        assert captured.hold_status == HoldStatus.CAPTURED
        assert done.status == OrderStatus.COMPLETED
        assert sandbox_kinds(sandbox_url, done) == ["authorize", "capture"]
        assert done.tracking_number
        shipped = registered(sandbox_url, done.reference)["per_reference"]
        assert shipped == {done.reference: 1}
        assert [message.subject for message in mail.outbox] == [
            "Your snack order is confirmed",
            "Your snack order is on its way",
        ]
        invoice = _api(member).get(f"{ORDERS}{done.id}/invoice.pdf")
        assert invoice.getvalue().startswith(b"%PDF-")

    def test_canceled_voids_the_hold_and_nothing_is_captured(
        self, sandbox_url: str, consumer: ShopConsumer, admin: User
    ) -> None:
        member = member_with_a_saved_card(sandbox_url)
        order = _placed(member, SnackFactory.create_batch(1, currency=CURRENCY))
        consumer.wait_for(order.id, lambda o: o.hold_status == "AUTHORIZED")

        _move(order, OrderStatus.CANCELED, member, reason="Changed my mind")
        voided = consumer.wait_for(order.id, lambda o: o.hold_status == "VOIDED")

        assert voided.status == OrderStatus.CANCELED
        assert sandbox_kinds(sandbox_url, voided) == ["authorize", "void"]


def _settled(done: Callable[[], bool], consumer: ShopConsumer) -> bool:
    """Whether the work is done, or the consumer has crashed."""
    return done() or not consumer.running


class TestAMembersFirstOrder:
    def test_is_held_on_billings_checkout_page_which_saves_the_card(
        self, sandbox_url: str, consumer: ShopConsumer, settings: Settings
    ) -> None:
        """A new member has no saved card: the order sends them to billing's page
        (3-D Secure included); the next order is held on the card it saved."""
        settings.CHECKOUT_BASE_URL = "http://testserver"  # the test client's host
        member = UserFactory.create()
        first, second = SnackFactory.create_batch(2, currency=CURRENCY)

        order = _placed(member, [first])
        page = Payer(sandbox_url, GATEWAY, order.checkout_url)
        page.open_page()
        page.pass_challenge(page.pay_with(CARDS[GATEWAY]["setup_3ds"]))
        held = consumer.wait_for(order.id, lambda o: o.hold_status == "AUTHORIZED")
        next_order = _placed(member, [second])
        next_held = consumer.wait_for(
            next_order.id, lambda o: o.hold_status == "AUTHORIZED"
        )

        assert order.hold_status == HoldStatus.REQUIRES_ACTION
        assert held.payment_id is not None
        assert next_order.checkout_url == ""
        assert sandbox_kinds(sandbox_url, held) == ["authorize"]
        assert sandbox_kinds(sandbox_url, next_held) == ["authorize"]


class Crash(Exception):
    """The consumer dying between applying an event and saving its cursor."""


class TestAConsumerThatCrashes:
    def test_resumes_with_no_gap_and_applies_nothing_twice(
        self, sandbox_url: str, billing: GrpcServer, admin: User
    ) -> None:
        """Crashes at random events roll back the event in hand with its cursor
        (one transaction); every restart resumes after the last saved cursor."""
        rng = random.Random(12)
        member = member_with_a_saved_card(sandbox_url)
        snacks = SnackFactory.create_batch(6, currency=CURRENCY)
        orders = [_placed(member, [snack]) for snack in snacks]
        crashes = 0
        crashed_at: set[int] = set()

        def crash_now_and_then(event: events_pb2.Event) -> None:
            nonlocal crashes
            if event.cursor not in crashed_at and rng.random() < 0.5:
                crashed_at.add(event.cursor)
                crashes += 1
                raise Crash(event.cursor)

        def all_held() -> bool:
            held = Order.objects.filter(
                id__in=[order.id for order in orders], hold_status=HoldStatus.AUTHORIZED
            )
            return held.count() == len(orders)

        for _restart in range(60):
            consumer = ShopConsumer(f"127.0.0.1:{billing.port}")
            consumer.start(handler_hook=crash_now_and_then)
            wait_until(
                functools.partial(_settled, all_held, consumer),
                timeout=30,
                message="the consumer neither finished nor crashed",
            )
            with contextlib.suppress(AssertionError):  # it crashed: start anew
                consumer.stop()
            if all_held():
                break
        states = [Order.objects.get(id=order.id).hold_status for order in orders]

        assert crashes >= 3
        assert states == [HoldStatus.AUTHORIZED] * len(orders)
        assert len(mail.outbox) == len(orders)
