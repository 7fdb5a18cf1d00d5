"""`python manage.py billing_clock`: the test clock, for months of billing in minutes.

`show` prints the service's now, its offset, each payer's offset and the sandbox's
clock. `advance 30d` moves the service's clock forward, moves the sandbox's by the
same step, and starts the renewal sweep and the payment janitors at once rather than
at beat's next minute. `advance 3d --payer <uuid>` moves one payer's renewals and
retries only. `reset` goes back to the wall clock. With production settings
(`BILLING_TEST_CLOCK_ENABLED` off) the command refuses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any, Final

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from kombu.exceptions import OperationalError

from billing.clock import (
    TestClockDisabled,
    advance_clock,
    billing_now,
    payer_offsets,
    reset_clock,
    test_clock_enabled,
)
from billing.models import Payer

RENEWAL_SWEEP: Final = "subscriptions.renew_due_subscriptions"
# What beat would start within the next minutes, started at once after a move, by
# name (the tasks belong to the apps; config only wires them).
TASKS_AFTER_A_MOVE: Final = (
    "payments.settle_unknown_payments",
    "payments.settle_unknown_refunds",
    "payments.expire_stale_payments",
    RENEWAL_SWEEP,
)
SANDBOX_TIMEOUT_SECONDS: Final = 3
# One step at most: a longer one is almost surely a typo (30000d for 30d).
LONGEST_STEP: Final = dt.timedelta(days=3660)
_UNITS: Final = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION: Final = re.compile(r"(?:\d+[wdhms])+")
_DURATION_PART: Final = re.compile(r"(\d+)([wdhms])")


def parse_duration(text: str) -> dt.timedelta:
    """`30d`, `12h`, `90m`, `45s`, `2w`, or a sum of them such as `1d12h`.

    :raises argparse.ArgumentTypeError: for anything else, zero, or over ten years.
    """
    compact = text.strip().lower()
    if not _DURATION.fullmatch(compact):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give a whole number and a unit, "
            "e.g. 30d, 12h, 90m, 45s or 2w (or a sum such as 1d12h)"
        )
    seconds = sum(
        int(number) * _UNITS[unit] for number, unit in _DURATION_PART.findall(compact)
    )
    if seconds == 0:
        raise argparse.ArgumentTypeError("the clock moves forward by more than 0s")
    if seconds > LONGEST_STEP.total_seconds():
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than {LONGEST_STEP.days}d: move the clock in smaller "
            "steps"
        )
    return dt.timedelta(seconds=seconds)


class Command(BaseCommand):
    help = (
        "Show, advance or reset the test clock (local and test settings only). "
        "Advancing the service also moves the gateway sandbox's clock and starts the "
        "renewal sweep and the payment janitors at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{show,advance,reset}"
        )
        actions.add_parser(
            "show",
            help="The service's now and offset, each payer's offset, the sandbox's.",
        )
        advance = actions.add_parser(
            "advance",
            help="Move the clock forward, e.g. `advance 30d`.",
            description=(
                "Move the service's clock forward (and the sandbox's by the same "
                "step), then start the renewal sweep and the payment janitors."
            ),
        )
        advance.add_argument(
            "duration",
            type=parse_duration,
            help="How far: 30d, 12h, 90m, 45s, 2w, or a sum such as 1d12h.",
        )
        advance.add_argument(
            "--payer",
            type=uuid.UUID,
            metavar="UUID",
            help=(
                "Move only this payer's renewals and retries. The sandbox's clock "
                "is global, so it is left alone."
            ),
        )
        actions.add_parser(
            "reset",
            help="Back to the wall clock: the service, every payer, the sandbox.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not test_clock_enabled():
            raise CommandError(
                "The test clock is off in these settings (BILLING_TEST_CLOCK_ENABLED "
                "is False, as in production): billing_clock runs only with local or "
                "test settings."
            )
        if options["action"] == "show":
            self._show()
        elif options["action"] == "advance":
            self._advance(options["duration"], payer_id=options["payer"])
        else:
            self._reset()

    def _show(self) -> None:
        wall = dt.datetime.now(dt.UTC)
        now = billing_now()
        self.stdout.write(f"Service clock: {_moment(now)} ({_ahead(now - wall)})")
        offsets = payer_offsets()
        if not offsets:
            self.stdout.write("Payer clocks:  none moved ahead of the service's.")
        else:
            self.stdout.write("Payer clocks (renewals and retries run this far ahead):")
            for payer_id, offset in sorted(offsets.items(), key=lambda i: str(i[0])):
                self.stdout.write(
                    f"  {payer_id}  +{_span(offset)}, now {_moment(now + offset)}"
                )
        sandbox = self._sandbox("GET", None)
        if sandbox is not None:
            moved = dt.timedelta(seconds=float(sandbox.get("offset_seconds", 0)))
            frozen = ", frozen" if sandbox.get("frozen") else ""
            self.stdout.write(
                f"Sandbox clock: {_moment(_parsed(sandbox['now']))} "
                f"({_ahead(moved)}{frozen}) at {_sandbox_url()}"
            )
        self._how_to_watch()

    def _advance(self, step: dt.timedelta, *, payer_id: uuid.UUID | None) -> None:
        if payer_id is not None and not Payer.objects.filter(id=payer_id).exists():
            raise CommandError(
                f"There is no payer {payer_id}: give the UUID of a payer "
                f"({settings.SERVICE_URL}/admin/billing/payer/)."
            )
        before = billing_now()
        if payer_id is not None:
            before += payer_offsets().get(payer_id, dt.timedelta(0))
        try:
            after = advance_clock(step, payer_id=payer_id)
        except TestClockDisabled as exc:
            raise CommandError(str(exc)) from exc
        whose = "the service's" if payer_id is None else f"payer {payer_id}'s"
        self.stdout.write(f"Moved {whose} clock forward by {_span(step)}:")
        self.stdout.write(f"  from {_moment(before)}")
        self.stdout.write(f"  to   {_moment(after)}")
        if payer_id is not None:
            self.stdout.write(
                "Only this payer's renewals and retries follow it; the sandbox's "
                "clock is global and stays where it is."
            )
            self._enqueue([RENEWAL_SWEEP])
        else:
            self._move_sandbox(step)
            self._enqueue(TASKS_AFTER_A_MOVE)
        self._how_to_watch()

    def _reset(self) -> None:
        reset_clock()
        now = billing_now()
        self.stdout.write(
            f"The service's clock and every payer's are back on the wall clock: "
            f"{_moment(now)}."
        )
        if self._sandbox("POST", {"now": now.isoformat()}) is None:
            self.stderr.write("The sandbox's clock was not reset.")
        else:
            self.stdout.write("So is the sandbox's.")
        self.stdout.write(
            "What was renewed ahead stays renewed: its next dates are further away."
        )

    def _move_sandbox(self, step: dt.timedelta) -> None:
        seconds = int(step.total_seconds())
        sandbox = self._sandbox("POST", {"advance_seconds": seconds})
        if sandbox is None:
            self.stderr.write(
                "Its clock did not move; the service's did. Move the sandbox's later "
                f'with POST {_sandbox_url()}/__sandbox/clock {{"advance_seconds": '
                f"{seconds}}}."
            )
            return
        self.stdout.write(
            f"Moved the sandbox's clock forward by {_span(step)}: now "
            f"{_moment(_parsed(sandbox['now']))}."
        )

    def _sandbox(
        self, method: str, body: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The sandbox's clock after the request, or None (said) when it fails."""
        url = f"{_sandbox_url()}/__sandbox/clock"
        try:
            reply = requests.request(
                method, url, json=body, timeout=SANDBOX_TIMEOUT_SECONDS
            )
            reply.raise_for_status()
            clock: dict[str, Any] = reply.json()
            _parsed(clock["now"])
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            self.stderr.write(
                self.style.WARNING(
                    f"The gateway sandbox at {_sandbox_url()} did not answer "
                    f"({_reason(exc)}); start it with `make sandbox` (or `make run`)."
                )
            )
            return None
        return clock

    def _enqueue(self, names: Sequence[str]) -> None:
        from config.celery import app

        # What a worker does at start: import each app's tasks, so that a task is
        # found by its name and sent through its own apply_async (its route, and
        # eager mode in tests, which send_task ignores).
        app.loader.import_default_modules()
        started = []
        for name in names:
            try:
                app.signature(name).apply_async()
            except OperationalError as exc:
                self.stderr.write(
                    f"Could not enqueue {name} ({exc}); beat starts it within a "
                    "minute once the broker answers."
                )
                continue
            started.append(name)
        if not started:
            return
        if app.conf.task_always_eager:
            self.stdout.write(f"Ran now (eager Celery): {', '.join(started)}.")
        else:
            self.stdout.write(
                f"Enqueued: {', '.join(started)}; the worker runs them in seconds."
            )

    def _how_to_watch(self) -> None:
        self.stdout.write(
            f"Watch it: {settings.SERVICE_URL}/admin/subscriptions/subscription/ "
            "(`python manage.py billing_clock show` for the clocks)."
        )


def _sandbox_url() -> str:
    return str(settings.SANDBOX_URL).rstrip("/")


def _parsed(text: object) -> dt.datetime:
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _moment(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def _span(delta: dt.timedelta) -> str:
    """`31d`, `1d 12h`, `1h 30m`, `45s` (whole seconds)."""
    seconds = round(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{value}{unit}"
        for value, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
        if value
    ]
    text = " ".join(parts) or "0s"
    return f"-{text}" if delta.total_seconds() <= -0.5 else text


def _ahead(delta: dt.timedelta) -> str:
    """How far a clock runs from the wall clock: `wall clock +31d`."""
    text = _span(delta)
    if text == "0s":
        return "the wall clock"
    return f"wall clock {text}" if text.startswith("-") else f"wall clock +{text}"


def _reason(exc: Exception) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "connection refused"
    if isinstance(exc, requests.Timeout):
        return f"no reply within {SANDBOX_TIMEOUT_SECONDS}s"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return "not a clock in its reply"
