"""`billing_clock`: show, advance and reset the test clock, never in production."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from billing.clock import advance_clock, billing_now, payer_offsets
from billing.models import Payer
from config.management.commands.billing_clock import parse_duration
from gateway_sandbox.app import Sandbox
from tests.config.production_environment import (
    GOOD_PRODUCTION_VALUES,
    PRODUCTION_SETTINGS,
    run_manage,
)
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.timedelta(days=1)


def billing_clock(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("billing_clock", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def wall_offset() -> dt.timedelta:
    """How far the service's clock runs ahead of the wall clock, to the second."""
    ahead = billing_now() - dt.datetime.now(dt.UTC)
    return dt.timedelta(seconds=round(ahead.total_seconds()))


def sandbox_offset(url: str) -> float:
    clock = requests.get(f"{url}/__sandbox/clock", timeout=5).json()
    return float(clock["offset_seconds"])


@pytest.fixture
def no_sandbox(settings: Settings) -> str:
    """A sandbox address where nothing listens."""
    settings.SANDBOX_URL = f"http://127.0.0.1:{free_port()}"
    return str(settings.SANDBOX_URL)


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("30d", dt.timedelta(days=30)),
            ("12h", dt.timedelta(hours=12)),
            ("90m", dt.timedelta(minutes=90)),
            ("45s", dt.timedelta(seconds=45)),
            ("2w", dt.timedelta(weeks=2)),
            ("1d12h", dt.timedelta(days=1, hours=12)),
            (" 31D ", dt.timedelta(days=31)),
        ],
    )
    def test_reads_a_number_and_a_unit(self, text: str, expected: dt.timedelta) -> None:
        assert parse_duration(text) == expected

    @pytest.mark.parametrize(
        "text", ["", "30", "d", "30x", "-3d", "1.5d", "30 d", "3 days", "1mo"]
    )
    def test_refuses_what_is_not_a_duration(self, text: str) -> None:
        with pytest.raises(argparse.ArgumentTypeError, match="is not a duration"):
            parse_duration(text)

    def test_refuses_zero(self) -> None:
        with pytest.raises(argparse.ArgumentTypeError, match="more than 0s"):
            parse_duration("0d")

    def test_refuses_a_step_of_more_than_ten_years(self) -> None:
        with pytest.raises(argparse.ArgumentTypeError, match="smaller steps"):
            parse_duration("30000d")


@pytest.mark.django_db
@pytest.mark.usefixtures("wall_clock")
class TestAdvance:
    def test_moves_the_service_clock_and_says_from_when_to_when(
        self, no_sandbox: str
    ) -> None:
        out, _ = billing_clock("advance", "30d")

        assert wall_offset() == 30 * DAY
        assert "Moved the service's clock forward by 30d:" in out
        assert "  from " in out and "  to   " in out
        assert "/admin/subscriptions/subscription/" in out

    def test_moves_the_sandbox_clock_by_the_same_step(
        self, gateway_sandbox: Sandbox, settings: Settings
    ) -> None:
        out, err = billing_clock("advance", "1d12h")

        assert sandbox_offset(settings.SANDBOX_URL) == 36 * 3600
        assert wall_offset() == dt.timedelta(hours=36)
        assert "Moved the sandbox's clock forward by 1d 12h" in out
        assert err == ""

    def test_moves_the_service_clock_even_when_the_sandbox_does_not_answer(
        self, no_sandbox: str
    ) -> None:
        _, err = billing_clock("advance", "2w")

        assert wall_offset() == 14 * DAY
        assert f"The gateway sandbox at {no_sandbox} did not answer" in err
        assert "connection refused" in err
        assert "Its clock did not move; the service's did." in err

    def test_starts_the_renewal_sweep_and_the_janitors(self, no_sandbox: str) -> None:
        out, _ = billing_clock("advance", "1h")

        assert (
            "Ran now (eager Celery): payments.settle_unknown_payments, "
            "payments.settle_unknown_refunds, payments.expire_stale_payments, "
            "subscriptions.renew_due_subscriptions." in out
        )

    def test_steps_add_up(self, no_sandbox: str) -> None:
        billing_clock("advance", "30d")

        billing_clock("advance", "12h")

        assert wall_offset() == dt.timedelta(days=30, hours=12)

    def test_with_a_payer_moves_only_that_payer_and_not_the_sandbox(
        self, gateway_sandbox: Sandbox, settings: Settings
    ) -> None:
        payer = Payer.objects.create(id=uuid.uuid4())

        out, _ = billing_clock("advance", "3d", "--payer", str(payer.id))

        assert payer_offsets() == {payer.id: 3 * DAY}
        assert wall_offset() == dt.timedelta(0)
        assert sandbox_offset(settings.SANDBOX_URL) == 0
        assert f"Moved payer {payer.id}'s clock forward by 3d:" in out
        assert "the sandbox's clock is global and stays where it is" in out
        assert "Ran now (eager Celery): subscriptions.renew_due_subscriptions." in out

    def test_refuses_an_unknown_payer(self) -> None:
        with pytest.raises(CommandError, match="There is no payer"):
            billing_clock("advance", "3d", "--payer", str(uuid.uuid4()))

        assert payer_offsets() == {}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["advance", "30x"], "'30x' is not a duration"),
            (["advance"], "the following arguments are required: duration"),
            (["advance", "3d", "--payer", "nope"], "invalid UUID value: 'nope'"),
            (["later"], "invalid choice: 'later'"),
        ],
    )
    def test_refuses_bad_input_clearly(self, args: list[str], message: str) -> None:
        with pytest.raises(CommandError, match=message):
            billing_clock(*args)

        assert wall_offset() == dt.timedelta(0)


@pytest.mark.django_db
@pytest.mark.usefixtures("wall_clock")
class TestShowAndReset:
    def test_show_prints_the_service_payers_and_sandbox_clocks(
        self, gateway_sandbox: Sandbox, settings: Settings
    ) -> None:
        payer_id = uuid.uuid4()
        billing_clock("advance", "31d")
        advance_clock(2 * DAY, payer_id=payer_id)

        out, _ = billing_clock("show")

        assert "(wall clock +31d)" in out
        assert f"  {payer_id}  +2d, now " in out
        assert "Sandbox clock: " in out
        assert f"(wall clock +31d) at {settings.SANDBOX_URL}" in out

    def test_show_on_the_wall_clock_without_a_sandbox(self, no_sandbox: str) -> None:
        out, err = billing_clock("show")

        assert "Service clock:" in out and "(the wall clock)" in out
        assert "Payer clocks:  none moved ahead of the service's." in out
        assert "did not answer" in err

    def test_reset_goes_back_to_the_wall_clock_with_the_sandbox(
        self, gateway_sandbox: Sandbox, settings: Settings
    ) -> None:
        billing_clock("advance", "31d")
        advance_clock(2 * DAY, payer_id=uuid.uuid4())

        out, _ = billing_clock("reset")

        assert wall_offset() == dt.timedelta(0)
        assert payer_offsets() == {}
        assert abs(sandbox_offset(settings.SANDBOX_URL)) < 5
        assert "So is the sandbox's." in out


@pytest.mark.django_db
@pytest.mark.usefixtures("wall_clock")
class TestInProduction:
    @pytest.mark.parametrize("args", [["show"], ["advance", "30d"], ["reset"]])
    def test_refuses_with_the_test_clock_off(
        self, settings: Settings, no_sandbox: str, args: list[str]
    ) -> None:
        settings.BILLING_TEST_CLOCK_ENABLED = False

        with pytest.raises(CommandError, match="The test clock is off"):
            billing_clock(*args)

        settings.BILLING_TEST_CLOCK_ENABLED = True
        assert wall_offset() == dt.timedelta(0)


def _manage(
    *args: str, settings_module: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "SANDBOX_URL": f"http://127.0.0.1:{free_port()}",
        **env,
    }
    return run_manage(*args, environment=environment)


class TestOnTheCommandLine:
    @pytest.mark.parametrize(
        "args",
        [
            ["advance", "30x"],
            ["advance", "0d"],
            ["advance"],
            ["advance", "30d", "--payer", "nope"],
            [],
        ],
    )
    def test_bad_input_exits_non_zero_without_a_traceback(
        self, tmp_path: Path, args: list[str]
    ) -> None:
        result = _manage(
            "billing_clock", *args, settings_module="config.settings.test",
            tmp_path=tmp_path,
        )  # fmt: skip

        assert result.returncode == 2, result.stderr
        assert "error:" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout

    def test_production_settings_refuse_without_a_traceback(
        self, tmp_path: Path
    ) -> None:
        result = _manage(
            "billing_clock",
            "advance",
            "30d",
            settings_module=PRODUCTION_SETTINGS,
            tmp_path=tmp_path,
            **GOOD_PRODUCTION_VALUES,
        )

        assert result.returncode == 1, result.stderr
        assert "The test clock is off in these settings" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
