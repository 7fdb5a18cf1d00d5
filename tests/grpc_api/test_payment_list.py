"""ListPayments over a real channel: a payer's payments, newest first, by pages."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import grpc
import pytest

from billing.models import Payer
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import Payment
from tests.billing.factories import PayerFactory
from tests.grpc_api.payment_calls import READ, failure, stub
from tests.grpc_api.statuses import error_info
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _list(
    channel: grpc.Channel,
    *,
    payer_id: str = "",
    page_size: int = 0,
    page_token: str = "",
    metadata: Metadata | None = None,
) -> billing_pb2.ListPaymentsResponse:
    return stub(channel).ListPayments(
        billing_pb2.ListPaymentsRequest(
            payer_id=payer_id, page_size=page_size, page_token=page_token
        ),
        metadata=metadata or service_metadata(READ),
        timeout=10,
    )


def _payments(payer: Payer, count: int, *, same_instant: int = 1) -> list[Payment]:
    """`count` payments, `same_instant` of them made at each instant (ties by id)."""
    return [
        PaymentFactory.create(
            payer_id=payer.id,
            now=START + dt.timedelta(minutes=n // same_instant),
        )
        for n in range(count)
    ]


def _newest_first(payments: list[Payment]) -> list[str]:
    ordered = sorted(payments, key=lambda p: (p.created_at, p.id), reverse=True)
    return [str(p.id) for p in ordered]


class TestListPayments:
    def test_pages_through_every_payment_once_newest_first(
        self, channel: grpc.Channel
    ) -> None:
        """Ties on the instant are broken by id: no duplicate and no gap."""
        payer = PayerFactory.create()
        made = _payments(payer, 11, same_instant=3)
        PaymentFactory.create(now=START)  # another payer's

        seen: list[str] = []
        token = ""
        pages = 0
        while True:
            page = _list(channel, payer_id=str(payer.id), page_size=4, page_token=token)
            seen += [payment.id for payment in page.payments]
            pages += 1
            token = page.next_page_token
            if not token:
                break

        assert seen == _newest_first(made)
        assert pages == 3

    def test_the_default_page_is_twenty_and_the_largest_a_hundred(
        self, channel: grpc.Channel
    ) -> None:
        payer = PayerFactory.create()
        _payments(payer, 101)

        default = _list(channel, payer_id=str(payer.id))
        largest = _list(channel, payer_id=str(payer.id), page_size=500)

        assert len(default.payments) == 20
        assert len(largest.payments) == 100
        assert largest.next_page_token

    def test_a_payer_without_payments_gets_an_empty_last_page(
        self, channel: grpc.Channel
    ) -> None:
        page = _list(channel, payer_id=str(uuid.uuid4()))

        assert list(page.payments) == []
        assert page.next_page_token == ""

    def test_an_end_user_lists_their_own_payments(self, channel: grpc.Channel) -> None:
        payer = PayerFactory.create()
        (own,) = _payments(payer, 1)
        PaymentFactory.create()

        page = _list(channel, metadata=user_metadata(payer.id))

        assert [payment.id for payment in page.payments] == [str(own.id)]
        assert page.payments[0].amount_minor == own.amount_minor

    def test_an_end_user_naming_another_payer_is_not_found(
        self, channel: grpc.Channel
    ) -> None:
        payer, other = PayerFactory.create(), PayerFactory.create()
        _payments(other, 1)

        error = failure(
            _list, channel, payer_id=str(other.id), metadata=user_metadata(payer.id)
        )

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(error).reason == "payer_not_found"

    @pytest.mark.parametrize(
        "token",
        [
            "garbage!",
            base64.urlsafe_b64encode(b"not json").decode(),
            base64.urlsafe_b64encode(b'{"c": "2026-11-01", "i": "x"}').decode(),
            base64.urlsafe_b64encode(b'["c", "i"]').decode(),
            base64.urlsafe_b64encode(
                f'{{"c": "2026-11-01T09:00:00", "i": "{uuid.uuid4()}"}}'.encode()
            ).decode(),
        ],
    )
    def test_a_tampered_page_token_is_invalid_argument(
        self, channel: grpc.Channel, token: str
    ) -> None:
        error = failure(_list, channel, payer_id=str(uuid.uuid4()), page_token=token)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == "page_token"

    @pytest.mark.parametrize(
        ("payer_id", "page_size", "field"),
        [("", 0, "payer_id"), ("nope", 0, "payer_id"), ("", -1, "page_size")],
    )
    def test_a_malformed_request_is_invalid_argument(
        self, channel: grpc.Channel, payer_id: str, page_size: int, field: str
    ) -> None:
        payer_id = payer_id or ("" if field == "payer_id" else str(uuid.uuid4()))

        error = failure(_list, channel, payer_id=payer_id, page_size=page_size)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == field
