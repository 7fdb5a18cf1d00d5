"""The edge's batched store on PostgreSQL: many notifications a statement, each
stored once, each sender answered after its row committed.

The edge's connections are its own, so the tests commit (a transactional
database) and two edges stand for two processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import pytest
from django.db import connection

from config.edge import WebhookEdge
from payments.models import (
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)
from payments.services import EdgeIntake, ReceivedEvent
from tests.asgi import call, lifespan
from tests.payments.webhook_messages import (
    FORM,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    new_payment,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("webhook_gateways"),
]
Result = TypeVar("Result")
PAY = "/webhooks/cloudpayments/pay/"


def _pay(
    payment: Payment, transaction_id: str = "1001"
) -> tuple[bytes, dict[str, str]]:
    body = cloudpayments_body(
        cloudpayments_fields(payment, "pay", transaction_id=transaction_id)
    )
    return body, {"Content-Type": FORM, **cloudpayments_headers(body)}


def _serving(
    intakes: list[EdgeIntake],
    work: Callable[[list[EdgeIntake]], Awaitable[Result]],
) -> Result:
    """Run `work` while each intake is open, as an edge process between its
    lifespan's startup and shutdown (which waits for its announcements)."""

    async def run() -> Result:
        for intake in intakes:
            await intake.open()
        try:
            return await work(intakes)
        finally:
            for intake in intakes:
                await intake.close()

    return asyncio.run(run())


def _receive(intake: EdgeIntake, body: bytes, headers: dict[str, str]) -> Any:
    return intake.receive(
        gateway="cloudpayments", kind="pay", body=body, headers=headers
    )


class TestBatchedStore:
    def test_concurrent_deliveries_of_one_message_store_it_once(self) -> None:
        """Two processes, twenty deliveries each, all at once: one row, one new."""
        body, headers = _pay(new_payment())

        async def deliver(intakes: list[EdgeIntake]) -> list[ReceivedEvent]:
            return await asyncio.gather(
                *(_receive(intake, body, headers) for intake in intakes * 20)
            )

        received = _serving([EdgeIntake.batched(), EdgeIntake.batched()], deliver)

        record = GatewayEventRecord.objects.get()
        assert {event.record_id for event in received} == {record.id}
        assert sum(event.is_new for event in received) == 1

    def test_many_messages_at_once_are_each_stored_under_their_own_row(self) -> None:
        payments = [new_payment() for _ in range(30)]
        bodies = [_pay(p, transaction_id=str(2000 + i)) for i, p in enumerate(payments)]

        async def deliver(intakes: list[EdgeIntake]) -> list[ReceivedEvent]:
            return await asyncio.gather(
                *(_receive(intakes[0], body, headers) for body, headers in bodies)
            )

        received = _serving([EdgeIntake.batched()], deliver)

        stored = dict(GatewayEventRecord.objects.values_list("external_id", "id"))
        assert len(stored) == 30
        assert all(event.is_new for event in received)
        assert {event.event.external_id: event.record_id for event in received} == (
            stored
        )
        assert set(GatewayEventRecord.objects.values_list("status", flat=True)) == {
            GatewayEventStatus.PROCESSED
        }

    def test_a_repeated_delivery_finds_the_stored_row(self) -> None:
        body, headers = _pay(new_payment())

        async def deliver_twice(intakes: list[EdgeIntake]) -> list[ReceivedEvent]:
            first = await _receive(intakes[0], body, headers)
            return [first, await _receive(intakes[0], body, headers)]

        first, again = _serving([EdgeIntake.batched()], deliver_twice)

        assert (first.is_new, again.is_new) == (True, False)
        assert first.record_id == again.record_id

    def test_a_row_another_process_commits_meanwhile_is_found_not_stored_again(
        self,
    ) -> None:
        """The batch waits for the other transaction on the unique index, then
        finds its row with a second statement (the first's snapshot is older)."""
        payment = new_payment()
        body, headers = _pay(payment)

        async def race(intakes: list[EdgeIntake]) -> tuple[int, ReceivedEvent]:
            other = await psycopg.AsyncConnection.connect(**_connection_parameters())
            cursor = await other.execute(
                "INSERT INTO payments_gatewayeventrecord (gateway, kind, external_id,"
                " gateway_reference, payload, status, error, attempts, received_at)"
                " VALUES ('cloudpayments', 'cloudpayments.pay', '1001', '1001',"
                " '{}', 'RECEIVED', '', 0, now()) RETURNING id"
            )
            row = await cursor.fetchone()
            assert row is not None
            waiting = asyncio.ensure_future(_receive(intakes[0], body, headers))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await other.commit()
            await other.close()
            return int(row[0]), await waiting

        other_id, received = _serving([EdgeIntake.batched()], race)

        assert (received.record_id, received.is_new) == (other_id, False)
        assert GatewayEventRecord.objects.count() == 1


class TestEdgeOnPostgres:
    def test_answers_after_the_commit_and_the_payment_is_settled(self) -> None:
        payment = new_payment()
        body, headers = _pay(payment)
        edge = WebhookEdge(EdgeIntake.batched())

        async def post_twice() -> list[dict[str, Any]]:
            async with lifespan(edge):
                replies = [
                    await call(edge, path=PAY, body=body, headers=headers)
                    for _ in range(2)
                ]
                # Committed when answered: another connection sees the row.
                assert await asyncio.to_thread(_stored_count) == 1
            return [reply.json() for reply in replies]

        replies = asyncio.run(post_twice())

        assert replies == [{"code": 0}, {"code": 0}]
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED

    def test_a_check_is_answered_from_the_payment(self) -> None:
        payment = new_payment(status=PaymentStatus.SUCCEEDED)
        body = cloudpayments_body(cloudpayments_fields(payment, "check"))
        headers = {"Content-Type": FORM, **cloudpayments_headers(body)}
        edge = WebhookEdge(EdgeIntake.batched())

        async def check() -> Any:
            async with lifespan(edge):
                reply = await call(
                    edge,
                    path="/webhooks/cloudpayments/check/",
                    body=body,
                    headers=headers,
                )
            return reply.json()

        assert asyncio.run(check()) == {"code": 13}


def _stored_count() -> int:
    try:
        return GatewayEventRecord.objects.count()
    finally:
        connection.close()


def _connection_parameters() -> dict[str, Any]:
    database = connection.settings_dict
    return {
        "dbname": database["NAME"],
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
    }
