"""The support API's list of refunds: newest first, filtered and searched."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.models import Refund, RefundReason
from tests.accounts.factories import UserFactory
from tests.payments import staff
from tests.payments.factories import NOW, RefundFactory, pay_by_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

REFUNDS = "/api/v1/refunds/"


@pytest.fixture
def support() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.support())
    return client


def _refund_of(payer_id: uuid.UUID, **options: Any) -> Refund:
    refund: Refund = RefundFactory.create(
        payment=pay_by_card(payer_id=payer_id), **options
    )
    return refund


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


class TestTheRefundList:
    def test_lists_newest_first_with_payment_and_payer(
        self, support: APIClient
    ) -> None:
        payer = uuid.uuid4()
        first = _refund_of(payer)
        second = _refund_of(payer, now=NOW + dt.timedelta(minutes=1))

        body = support.get(REFUNDS).json()

        assert [row["id"] for row in body["results"]] == [str(second.id), str(first.id)]
        row = body["results"][0]
        assert (row["payment_id"], row["payer_id"], row["gateway"]) == (
            str(second.payment_id),
            str(payer),
            "fake",
        )

    def test_filters_by_payer_and_reason(self, support: APIClient) -> None:
        payer = uuid.uuid4()
        mine = _refund_of(payer, reason=RefundReason.DUPLICATE)
        _refund_of(uuid.uuid4())

        assert _ids(support.get(REFUNDS, {"payer": str(payer)})) == [str(mine.id)]
        assert _ids(support.get(REFUNDS, {"reason": RefundReason.DUPLICATE})) == [
            str(mine.id)
        ]
        assert _ids(support.get(REFUNDS, {"gateway": "stripe"})) == []

    @pytest.mark.parametrize("key", ["id", "payment_id", "payer", "gateway_reference"])
    def test_searches_by_any_of_its_ids(self, support: APIClient, key: str) -> None:
        payer = uuid.uuid4()
        wanted = _refund_of(payer)
        _refund_of(uuid.uuid4())
        term = {
            "id": str(wanted.id),
            "payment_id": str(wanted.payment_id),
            "payer": str(payer),
            "gateway_reference": str(wanted.gateway_reference),
        }[key]

        assert _ids(support.get(REFUNDS, {"search": term})) == [str(wanted.id)]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "LOST"}, "status"),
            ({"payer": "nope"}, "payer"),
            (
                {"created_after": "2026-11-23", "created_before": "2026-11-01"},
                "created_before",
            ),
        ],
    )
    def test_a_malformed_filter_is_a_400_naming_the_field(
        self, support: APIClient, params: dict[str, str], field: str
    ) -> None:
        response = support.get(REFUNDS, params)

        assert response.status_code == 400
        assert field in response.json()["extra"]["fields"]

    def test_only_staff_may_list_them(self) -> None:
        member = APIClient()
        member.force_authenticate(UserFactory.create())

        assert member.get(REFUNDS).status_code == 403
