"""The payer timeline of the support API: everything about a payer, newest first,
paginated, with secrets masked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.models import Payment
from subscriptions.models import Plan
from subscriptions.timeline import KINDS, MAX_OFFSET
from tests.accounts.factories import UserFactory
from tests.payments import staff
from tests.payments.factories import GatewayEventRecordFactory, RefundFactory
from tests.subscriptions.factories import make_plan, subscribe_with_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

CARD_NUMBER = "4111111111111111"


@pytest.fixture
def support() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.support())
    return client


@pytest.fixture
def payer() -> uuid.UUID:
    """A payer who subscribed (paid at once), was refunded, and of whose payment
    the gateway sent a message."""
    plan: Plan = make_plan()
    started = subscribe_with_card(plan, with_trial=False)
    payment = started.payment
    assert isinstance(payment, Payment)
    RefundFactory.create(payment=payment)
    GatewayEventRecordFactory.create(
        payment=payment, payload={"id": "evt_1", "note": f"card {CARD_NUMBER}"}
    )
    return started.subscription.payer_id


def _timeline(client: APIClient, payer: object, **query: Any) -> Any:
    return client.get(f"/api/v1/payers/{payer}/timeline/", query)


class TestThePayerTimeline:
    def test_holds_every_kind_newest_first(
        self, support: APIClient, payer: uuid.UUID
    ) -> None:
        body = _timeline(support, payer).json()

        entries = body["results"]
        assert {entry["kind"] for entry in entries} == set(KINDS)
        assert body["count"] == len(entries)
        times = [entry["at"] for entry in entries]
        assert times == sorted(times, reverse=True)

    def test_masks_what_a_gateway_message_holds(
        self, support: APIClient, payer: uuid.UUID
    ) -> None:
        body = _timeline(support, payer, kind="gateway_message").json()

        (message,) = body["results"]
        assert CARD_NUMBER not in str(message)
        assert message["details"]["payload"]["id"] == "evt_1"

    def test_pages_follow_one_order(self, support: APIClient, payer: uuid.UUID) -> None:
        everything = _timeline(support, payer).json()["results"]

        page = _timeline(support, payer, limit=2, offset=1).json()

        assert page["results"] == everything[1:3]
        assert page["next"] is not None and page["previous"] is not None

    def test_filters_by_kind(self, support: APIClient, payer: uuid.UUID) -> None:
        body = _timeline(support, payer, kind=["payment", "refund"]).json()

        assert {entry["kind"] for entry in body["results"]} == {"payment", "refund"}
        assert body["count"] == 2


class TestBadRequests:
    @pytest.mark.parametrize(
        ("query", "field"),
        [({"kind": "ledger"}, "kind"), ({"offset": MAX_OFFSET + 1}, "offset")],
    )
    def test_a_bad_filter_is_a_400(
        self, support: APIClient, payer: uuid.UUID, query: dict[str, Any], field: str
    ) -> None:
        response = _timeline(support, payer, **query)

        assert response.status_code == 400
        assert field in response.json()["extra"]["fields"]

    def test_an_unknown_payer_is_a_404(self, support: APIClient) -> None:
        response = _timeline(support, uuid.uuid4())

        assert (response.status_code, response.json()["code"]) == (
            404,
            "payer_not_found",
        )

    def test_a_malformed_id_is_a_400(self, support: APIClient) -> None:
        assert _timeline(support, "not-a-uuid").status_code == 400

    def test_only_staff_may_read_it(self, payer: uuid.UUID) -> None:
        member = APIClient()
        member.force_authenticate(UserFactory.create())

        assert _timeline(member, payer).status_code == 403
        assert _timeline(APIClient(), payer).status_code in (401, 403)
