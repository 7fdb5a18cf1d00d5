"""The accounting desk's reconciliation pages: a day reconciled on demand, and
discrepancies resolved with a note, by accounting only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from billing.models import StatusChange
from payments.gateways.fake import FakeGateway
from payments.models import Discrepancy, ReconciliationRun
from tests.payments import staff
from tests.payments.factories import (
    NOW,
    DiscrepancyFactory,
    ReconciliationRunFactory,
    pay_by_card,
)

pytestmark = pytest.mark.django_db

RUNS = "/admin/payments/reconciliationrun/"
RECONCILE = f"{RUNS}reconcile/"
DISCREPANCIES = "/admin/payments/discrepancy/"


@pytest.fixture
def gateway(fake_gateway: FakeGateway) -> Iterator[FakeGateway]:
    fake_gateway.now = lambda: NOW
    yield fake_gateway


def _client(role: str) -> Client:
    client = Client()
    client.force_login(staff.staff(role))
    return client


def _resolve(client: Client, discrepancy: Discrepancy, note: str) -> Any:
    return client.post(
        DISCREPANCIES,
        {
            "action": "resolve",
            "_selected_action": [str(discrepancy.id)],
            "confirmed": "yes",
            "note": note,
        },
    )


class TestReconcileADay:
    def test_accounting_reconciles_a_day_from_the_admin(
        self,
        gateway: FakeGateway,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        payment = pay_by_card()
        del gateway.payments[payment.gateway_reference or ""]
        user = staff.accounting()
        accounting = Client()
        accounting.force_login(user)
        assert "Reconcile a day" in accounting.get(RUNS).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            done = accounting.post(
                RECONCILE, {"gateway": "fake", "day": NOW.date().isoformat()}
            )

        assert done.status_code == 302
        run = ReconciliationRun.objects.get()
        assert (run.gateway, run.day) == ("fake", NOW.date())
        assert run.started_by == f"user:{user.pk}"
        assert Discrepancy.objects.get().payment == payment
        assert "MISSING_AT_GATEWAY: 1" in accounting.get(RUNS).content.decode()

    def test_a_day_to_come_is_refused_on_the_form(self) -> None:
        tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=400)
        page = _client("accounting").post(
            RECONCILE, {"gateway": "fake", "day": tomorrow.isoformat()}
        )
        assert page.status_code == 200
        assert "has not begun yet" in page.content.decode()
        assert not ReconciliationRun.objects.exists()

    def test_support_may_look_but_not_reconcile(self) -> None:
        support = _client("support")
        assert support.get(RUNS).status_code == 200
        assert "Reconcile a day" not in support.get(RUNS).content.decode()
        assert support.get(RECONCILE).status_code == 403
        refused = support.post(RECONCILE, {"gateway": "fake", "day": "2026-11-23"})
        assert refused.status_code == 403
        assert not ReconciliationRun.objects.exists()


class TestResolving:
    def test_accounting_resolves_with_a_note(self) -> None:
        discrepancy = DiscrepancyFactory.create()
        accounting = _client("accounting")

        asked = accounting.post(
            DISCREPANCIES,
            {"action": "resolve", "_selected_action": [str(discrepancy.id)]},
        )
        assert "Are you sure?" in asked.content.decode()
        done = _resolve(accounting, discrepancy, "Refunded the payer by hand.")

        assert done.status_code == 302
        discrepancy.refresh_from_db()
        assert discrepancy.resolution_note == "Refunded the payer by hand."
        assert discrepancy.resolved_by.startswith("user:")
        page = accounting.get(f"{DISCREPANCIES}{discrepancy.id}/change/")
        assert "Refunded the payer by hand." in page.content.decode()
        assert StatusChange.objects.filter(object_type="discrepancy").count() == 1

    def test_a_note_is_required(self) -> None:
        discrepancy = DiscrepancyFactory.create()
        page = _resolve(_client("accounting"), discrepancy, "")
        assert page.status_code == 200
        assert "This field is required" in page.content.decode()
        discrepancy.refresh_from_db()
        assert discrepancy.resolved_at is None

    def test_resolving_twice_is_reported_not_applied_again(self) -> None:
        discrepancy = DiscrepancyFactory.create()
        accounting = _client("accounting")
        _resolve(accounting, discrepancy, "first")
        again = _resolve(accounting, discrepancy, "second")
        *_, message = [m.message for m in get_messages(again.wsgi_request)]
        assert "already resolved" in message
        discrepancy.refresh_from_db()
        assert discrepancy.resolution_note == "first"

    def test_support_sees_but_cannot_resolve(self) -> None:
        discrepancy = DiscrepancyFactory.create()
        support = _client("support")
        assert support.get(DISCREPANCIES).status_code == 200
        _resolve(support, discrepancy, "mine")
        discrepancy.refresh_from_db()
        assert discrepancy.resolved_at is None

    def test_filters_and_search(self) -> None:
        open_one = DiscrepancyFactory.create()
        resolved = DiscrepancyFactory.create(
            resolved_at=NOW, resolved_by="a", resolution_note="n"
        )
        accounting = _client("accounting")
        listed = accounting.get(DISCREPANCIES, {"state": "open"}).content.decode()
        assert open_one.subject in listed and resolved.subject not in listed
        found = accounting.get(
            DISCREPANCIES, {"q": resolved.gateway_reference}
        ).content.decode()
        assert resolved.subject in found and open_one.subject not in found
        assert accounting.get(DISCREPANCIES, {"q": "not-a-uuid"}).status_code == 200


class TestFeesInTheDailyTotals:
    def test_a_reconciled_days_fees_show_beside_its_cash(self) -> None:
        pay_by_card()
        ReconciliationRunFactory.create(
            day=NOW.date(), report={"gateway": {"fees": {"RUB": 2_497}}}
        )
        ReconciliationRunFactory.create(
            day=NOW.date() - dt.timedelta(days=1),
            report={"gateway": {"fees": {"RUB": 1}}},
        )
        day = NOW.date().isoformat()

        page = _client("support").get(
            "/admin/billing/ledgerentry/daily-totals/", {"starts": day, "ends": day}
        )

        rows = page.context["rows"]
        assert [(row["gateway"], row["fees"]) for row in rows] == [
            ("fake", "24.97 RUB")
        ]

    def test_a_day_not_reconciled_shows_no_fees(self) -> None:
        pay_by_card()
        day = NOW.date().isoformat()
        page = _client("accounting").get(
            "/admin/billing/ledgerentry/daily-totals/", {"starts": day, "ends": day}
        )
        assert [row["fees"] for row in page.context["rows"]] == ["—"]
