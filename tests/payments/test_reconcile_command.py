"""`manage.py reconcile`: a day of a gateway reconciled from the shell."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.gateways.base import Unavailable
from payments.gateways.fake import FakeGateway
from payments.models import Discrepancy, ReconciliationRun
from tests.payments.factories import NOW, pay_by_card

pytestmark = pytest.mark.django_db


def _reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile", *args, stdout=out)
    return out.getvalue()


def test_prints_the_report(fake_gateway: FakeGateway) -> None:
    fake_gateway.now = lambda: NOW
    payment = pay_by_card()
    del fake_gateway.payments[payment.gateway_reference or ""]

    out = _reconcile("--gateway", "fake", "--date", NOW.date().isoformat())

    assert f"Reconciling fake on {NOW.date()} (UTC)" in out
    assert "Completed: 0 operations read" in out
    assert "MISSING_AT_GATEWAY: 1 (999.00 RUB)" in out
    assert "new discrepancies recorded: 1" in out
    assert Discrepancy.objects.count() == 1
    again = _reconcile("--gateway", "fake", "--date", NOW.date().isoformat())
    assert "new discrepancies recorded: 0" in again


def test_a_failing_gateway_says_to_run_again(fake_gateway: FakeGateway) -> None:
    fake_gateway.now = lambda: NOW
    pay_by_card()
    fake_gateway.script("day_operations", Unavailable("down"))
    with pytest.raises(CommandError, match="run again to resume"):
        _reconcile("--gateway", "fake", "--date", NOW.date().isoformat())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "--date must be YYYY-MM-DD"),
        (["--date", "2999-01-01"], "has not begun yet"),
        (["--gateway", "paypal"], "invalid choice"),
    ],
)
def test_bad_input_is_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _reconcile(*args)
    assert not ReconciliationRun.objects.exists()
