"""Reconciliation in the support API: runs and discrepancies listed for all staff,
a day queued and a discrepancy resolved by accounting only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.gateways.fake import FakeGateway
from payments.models import Discrepancy, DiscrepancyKind, ReconciliationRun
from tests.payments import staff
from tests.payments.factories import (
    NOW,
    DiscrepancyFactory,
    ReconciliationRunFactory,
    pay_by_card,
)

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/reconciliation-runs/"
DISCREPANCIES = "/api/v1/discrepancies/"


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def support() -> APIClient:
    return _client(staff.support())


@pytest.fixture
def accounting() -> APIClient:
    return _client(staff.accounting())


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


class TestRuns:
    def test_lists_the_latest_days_first_with_their_reports(
        self, support: APIClient
    ) -> None:
        older = ReconciliationRunFactory.create(day=dt.date(2026, 11, 1))
        newer = ReconciliationRunFactory.create(
            day=dt.date(2026, 11, 2), report={"found": {"MISSING_HERE": 1}}
        )

        body = support.get(RUNS).json()

        assert [row["id"] for row in body["results"]] == [newer.id, older.id]
        assert body["results"][0]["report"] == {"found": {"MISSING_HERE": 1}}
        assert _ids(support.get(RUNS, {"day_from": "2026-11-02"})) == [newer.id]
        assert _ids(support.get(RUNS, {"status": "RUNNING"})) == []

    def test_accounting_queues_a_day(
        self,
        accounting: APIClient,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        fake_gateway.now = lambda: NOW
        pay_by_card()

        with django_capture_on_commit_callbacks(execute=True):
            queued = accounting.post(
                RUNS, {"gateway": "fake", "day": NOW.date().isoformat()}, format="json"
            )

        assert queued.status_code == 202, queued.content
        assert queued.json() == {"gateway": "fake", "day": NOW.date().isoformat()}
        run = ReconciliationRun.objects.get()
        assert (run.operations, run.started_by.startswith("user:")) == (1, True)

    def test_support_may_not_queue_a_day(self, support: APIClient) -> None:
        refused = support.post(RUNS, {"gateway": "fake", "day": "2026-11-23"})
        assert refused.status_code == 403
        assert set(refused.json()) == {"code", "message", "extra"}

    @pytest.mark.parametrize(
        "body",
        [
            {"gateway": "paypal", "day": "2026-11-23"},
            {"gateway": "fake", "day": "2026-13-01"},
            {"gateway": "fake", "day": "2999-01-01"},
            {"gateway": "fake"},
        ],
    )
    def test_bad_input_queues_nothing(
        self, accounting: APIClient, body: dict[str, str]
    ) -> None:
        answer = accounting.post(RUNS, body, format="json")
        assert answer.status_code == 400
        assert set(answer.json()) == {"code", "message", "extra"}
        assert not ReconciliationRun.objects.exists()


class TestDiscrepancies:
    def test_lists_filters_and_searches(self, support: APIClient) -> None:
        open_one = DiscrepancyFactory.create()
        resolved = DiscrepancyFactory.create(
            run=open_one.run,
            kind=DiscrepancyKind.AMOUNT_MISMATCH,
            resolved_at=NOW,
            resolved_by="user:x",
            resolution_note="Fixed.",
        )

        assert _ids(support.get(DISCREPANCIES)) == [resolved.id, open_one.id]
        assert _ids(support.get(DISCREPANCIES, {"state": "open"})) == [open_one.id]
        assert _ids(support.get(DISCREPANCIES, {"kind": "AMOUNT_MISMATCH"})) == [
            resolved.id
        ]
        found = support.get(DISCREPANCIES, {"search": open_one.gateway_reference})
        assert _ids(found) == [open_one.id]

    def test_shows_both_sides(self, support: APIClient) -> None:
        discrepancy = DiscrepancyFactory.create(theirs={"state": "succeeded"})
        body = support.get(f"{DISCREPANCIES}{discrepancy.id}/").json()
        assert (body["theirs"], body["amount"], body["audit_trail"]) == (
            {"state": "succeeded"},
            "999.00 RUB",
            [],
        )

    def test_accounting_resolves_with_a_note(self, accounting: APIClient) -> None:
        discrepancy = DiscrepancyFactory.create()

        done = accounting.post(
            f"{DISCREPANCIES}{discrepancy.id}/resolve/",
            {"note": "Refunded by hand."},
            format="json",
        )

        assert done.status_code == 200, done.content
        body = done.json()
        assert body["resolution_note"] == "Refunded by hand."
        assert [row["to_status"] for row in body["audit_trail"]] == ["RESOLVED"]
        again = accounting.post(
            f"{DISCREPANCIES}{discrepancy.id}/resolve/", {"note": "x"}, format="json"
        )
        assert (again.status_code, again.json()["code"]) == (
            409,
            "discrepancy_already_resolved",
        )

    def test_support_may_not_resolve(self, support: APIClient) -> None:
        discrepancy = DiscrepancyFactory.create()
        refused = support.post(
            f"{DISCREPANCIES}{discrepancy.id}/resolve/", {"note": "n"}, format="json"
        )
        assert refused.status_code == 403
        discrepancy.refresh_from_db()
        assert discrepancy.resolved_at is None

    @pytest.mark.parametrize(
        ("path", "body", "code"),
        [
            ("abc/resolve/", {"note": "n"}, 400),
            ("999999/resolve/", {"note": "n"}, 404),
            ("{id}/resolve/", {"note": ""}, 400),
            ("{id}/resolve/", {}, 400),
        ],
    )
    def test_bad_input_changes_nothing(
        self, accounting: APIClient, path: str, body: dict[str, str], code: int
    ) -> None:
        discrepancy = DiscrepancyFactory.create()
        answer = accounting.post(
            DISCREPANCIES + path.format(id=discrepancy.id), body, format="json"
        )
        assert answer.status_code == code
        assert set(answer.json()) == {"code", "message", "extra"}
        assert Discrepancy.objects.get().resolved_at is None

    @pytest.mark.parametrize(
        "query",
        [
            {"kind": "NOPE"},
            {"state": "maybe"},
            {"day_from": "2026-11-02", "day_to": "2026-11-01"},
        ],
    )
    def test_bad_filters_are_refused(
        self, support: APIClient, query: dict[str, str]
    ) -> None:
        answer = support.get(DISCREPANCIES, query)
        assert answer.status_code == 400
        assert set(answer.json()) == {"code", "message", "extra"}


def test_support_is_told_who_may_resolve() -> None:
    discrepancy = DiscrepancyFactory.create()
    refused = _client(staff.support()).post(
        f"{DISCREPANCIES}{discrepancy.id}/resolve/", {"note": "n"}, format="json"
    )
    assert refused.json() == {
        "code": "permission_denied",
        "message": "Only accounting staff may do this.",
        "extra": {"roles": ["accounting"]},
    }
    anonymous = APIClient().post(f"{DISCREPANCIES}{discrepancy.id}/resolve/")
    assert anonymous.json()["code"] == "not_authenticated"
