"""The shop beside billing, as in production: billing's gRPC server on a port, the
shop calling it with a service token of its own, and the shop's consumer following
billing's event stream in a thread of its own. Nothing of either side is faked.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.service_tokens import issue_service_token
from billing.money import Money
from grpc_api.client import EventConsumer, event_payload
from grpc_api.generated.billing.v1 import events_pb2
from grpc_api.server import GrpcServer, build_server
from snacks.models import Order
from snacks.services import SHOP_EVENT_TYPES, BillingEventCursors, apply_billing_event
from tests.accounts.factories import UserFactory
from tests.journeys.cards import CARDS, entered_card, ledger
from tests.payments.factories import CardSetupFactory
from tests.polling import wait_until

SHOP_SCOPES = ("billing.payments.write", "billing.events.read")
# The gateway the members' cards are saved with, and its currency.
GATEWAY = "cloudpayments"
CURRENCY = "RUB"


def member_with_a_saved_card(sandbox_url: str) -> User:
    """A member whose card billing verified and saved (no money taken)."""
    member = UserFactory.create()
    CardSetupFactory.create(
        payer_id=member.id,
        gateway=GATEWAY,
        card_payload=entered_card(sandbox_url, GATEWAY, CARDS[GATEWAY]["success"]),
        verification_amount=Money(100, CURRENCY),
        now=timezone.now(),
    )
    return member


def sandbox_kinds(sandbox_url: str, order: Order) -> list[str]:
    """What the sandbox's ledger holds for the order's payment: its entries' kinds."""
    entries = ledger(sandbox_url, invoice_id=f"payment:{order.payment_id}")["entries"]
    return [str(entry["kind"]) for entry in entries]


def shop_token() -> str:
    return issue_service_token(
        name="shop", scopes=SHOP_SCOPES, days=1, now=dt.datetime.now(tz=dt.UTC)
    )


@contextmanager
def billing_for_the_shop() -> Iterator[GrpcServer]:
    """Billing's gRPC server, with the shop's settings pointed at it."""
    server = build_server(host="127.0.0.1", port=0)
    server.start()
    try:
        with override_settings(
            SHOP_BILLING_CALLS="snacks.billing_grpc.GrpcBillingCalls",
            SHOP_BILLING_GRPC_TARGET=f"127.0.0.1:{server.port}",
            SHOP_BILLING_TOKEN=shop_token(),
            SHOP_BILLING_TIMEOUT_SECONDS=30.0,
        ):
            yield server
    finally:
        server.stop(grace=0)


class ShopConsumer:
    """`consume_billing_events` in a thread: the same consumer, cursor store and
    handler as the command, started and stopped at will."""

    def __init__(self, target: str, *, name: str = "shop") -> None:
        self.target = target
        self.name = name
        self.applied: list[tuple[int, str]] = []
        self._consumer: EventConsumer | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(
        self, *, handler_hook: Callable[[events_pb2.Event], None] | None = None
    ) -> None:
        self._consumer = EventConsumer(
            target=self.target,
            token=shop_token(),
            consumer=self.name,
            types=SHOP_EVENT_TYPES,
            handler=lambda event: self._apply(event, handler_hook),
            store=BillingEventCursors(self.name, clock=timezone.now),
            atomic=transaction.atomic,
            backoff_seconds=0.05,
            max_backoff_seconds=0.2,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
            assert not self._thread.is_alive(), "the consumer did not stop"
        self._consumer = self._thread = None
        if self._failure is not None:
            raise AssertionError("the consumer failed") from self._failure

    def wait_for(
        self, order_id: uuid.UUID, predicate: Callable[[Order], bool]
    ) -> Order:
        """The order once `predicate` holds for it (the consumer applied enough)."""
        wait_until(
            lambda: predicate(Order.objects.get(id=order_id)),
            timeout=30,
            message=f"order {order_id} never got there",
        )
        return Order.objects.get(id=order_id)

    def _run(self) -> None:
        assert self._consumer is not None
        try:
            self._consumer.run()
        except Exception as failure:  # noqa: BLE001 - stop() re-raises it in the test
            self._failure = failure
        finally:
            connection.close()

    def _apply(
        self,
        event: events_pb2.Event,
        hook: Callable[[events_pb2.Event], None] | None,
    ) -> None:
        apply_billing_event(event.type, event_payload(event), now=timezone.now())
        # After the event took effect, before its cursor is saved: a hook that
        # raises is a crash at the worst moment, and rolls both back.
        if hook is not None:
            hook(event)
        self.applied.append((event.cursor, event.type))
