"""`python manage.py consume_billing_events`: apply billing's events to the orders.

It follows billing's event stream over gRPC from the cursor kept in the shop's
database, applies each `payment.*` event about an order and saves the cursor in
the same transaction: after a crash it resumes with no gap and applies nothing
twice. SIGTERM and SIGINT stop it after the event in hand.

Each event is applied under a request id of its own, `event-<the event's id>`
(`kit.correlation`): the lines logged while it is applied, and the order work it
starts, carry it, and an event applied again after a restart has the same id.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, transaction
from django.utils import timezone

from grpc_api.client import EventConsumer, event_payload
from grpc_api.generated.billing.v1 import events_pb2
from kit import correlation
from snacks.services import SHOP_EVENT_TYPES, BillingEventCursors, apply_billing_event


@contextlib.contextmanager
def _fresh_transaction() -> Iterator[None]:
    """The transaction an event and its cursor commit in. A long-lived process:
    a connection the database closed meanwhile is dropped first (never inside the
    transaction).

    The event's request id, which the handler binds, is held until the tasks sent
    when the transaction commits are sent, and forgotten after.
    """
    close_old_connections()
    with correlation.bound(), transaction.atomic():
        yield


class Command(BaseCommand):
    help = "Apply billing's event stream to the shop's orders (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consumer",
            default=settings.SHOP_EVENTS_CONSUMER,
            help="the name the cursor is kept under (default %(default)s)",
        )
        parser.add_argument(
            "--target",
            default=settings.SHOP_BILLING_GRPC_TARGET,
            help="billing's gRPC address (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cursors = BillingEventCursors(options["consumer"], clock=timezone.now)
        consumer = EventConsumer(
            target=options["target"],
            token=settings.SHOP_BILLING_TOKEN,
            consumer=options["consumer"],
            types=SHOP_EVENT_TYPES,
            handler=self._apply,
            store=cursors,
            atomic=_fresh_transaction,
        )

        def stop(signum: int, frame: FrameType | None) -> None:
            consumer.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"Following billing's events at {options['target']} as "
            f"{options['consumer']!r} after cursor {cursors.load()}"
        )
        self.stdout.flush()
        consumer.run()
        self.stdout.write(f"Stopped after cursor {cursors.load()}")

    def _apply(self, event: events_pb2.Event) -> None:
        correlation.bind(f"event-{event.id}")
        order = apply_billing_event(
            event.type, event_payload(event), now=timezone.now()
        )
        if order is not None:
            self.stdout.write(
                f"{event.cursor} {event.type}: order {order.id} hold "
                f"{order.hold_status}, status {order.status}"
            )
            self.stdout.flush()
