"""Fault tests of the renewal run: real processes, killed while they bill.

1,000 CloudPayments subscriptions fall due at once. The gateway sandbox, a Celery worker
and two beats run as processes of their own, on PostgreSQL and RabbitMQ, with the
benchmark settings (production's, with the gateways at the sandbox; no test clock: the
subscriptions were started a month ago, with an injected `now`, so they are due in real
time). The worker is killed with SIGKILL, its whole process group at once, at random
moments of the run and started again; the broker is restarted once in the middle.
Whatever happened, every period ends with one invoice, paid by exactly one capture at
the gateway, the gateway refused nothing with HTTP 429, and the books balance.

Both beats run django-celery-beat's DatabaseScheduler, as production does. Two of
them at once share the PeriodicTask rows without errors and each sends the sweep on
its own timer: twice the sweeps, and the run lock makes the extra runs no-ops. So the
file scheduler (`celery.beat:PersistentScheduler`) is not needed here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count, Q, Sum
from pytest_django.fixtures import Settings

from bench.services import (
    BENCHMARK_SETTINGS,
    ROOT,
    free_port,
    running,
    wait_until_answering,
)
from billing.models import (
    BillingReason,
    Invoice,
    InvoiceStatus,
    LedgerAccount,
    LedgerEntry,
)
from billing.money import Money
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS
from payments.gateways import reset_gateways
from payments.models import Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import create_plan, subscribe
from tests.config.celery_worker import postgres_server_url
from tests.journeys.cards import CARDS, entered_card, ledger
from tests.services import RABBITMQ_URL, services_required

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.rabbitmq,
    pytest.mark.sandbox,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(420),
]

SUBSCRIPTIONS = 1_000
KILLS = 5
# The worker is killed once this many more renewals were paid since the previous
# kill (drawn each time), then after up to KILL_DELAY_SECONDS more, so that every
# kill lands in the middle of a run. Each of the 6 waits overshoots its draw (a
# settling group lands at once, the worker pays on through the delay): about 60
# more a wait was measured, so some 600 of the 1,000 are paid before the last
# kill. A run that ends before the last kill fails and says so.
PAID_BEFORE_KILL = (15, 60)
KILL_DELAY_SECONDS = 0.2
# The broker is restarted after this kill, while the restarted worker bills.
BROKER_RESTART_AFTER_KILL = KILLS // 2
SWEEP_SECONDS = 2
# A run hands over to a fresh task this often, so handovers happen between kills.
TIME_BUDGET_SECONDS = 3
# Charges in flight from the worker, well under the sandbox's limit: never a 429.
IN_FLIGHT = 16
SANDBOX_IN_FLIGHT = 64
BATCH_SIZE = 50
SETUP_THREADS = 4
# Waiting for one kill's worth of progress, and for the rest of the run at the end.
PROGRESS_SECONDS = 90
FINISH_SECONDS = 150
ACTOR = "system:test"
# Every connection of the test commits without waiting for the WAL to reach the disk
# (no disk flush per commit). That gives up durability against a crash of
# PostgreSQL, which this test does not cause; what a commit makes visible, and every
# lock, stays the same.
NO_FLUSH_AT_COMMIT = "SET synchronous_commit TO off"
# The sandbox runs only with its own credentials.
PUBLIC_ID = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_PUBLIC_ID"]
API_SECRET = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]
PRICE = Money(49_900, "RUB")
# As in production; see the module's docstring for what two of them do.
BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
BEATS = 2


class TestRenewalRunUnderFaults:
    def test_each_period_is_billed_once_whatever_kills_and_broker_restarts(
        self,
        cloudpayments_sandbox: str,
        broker: _Broker,
        tmp_path: Path,
    ) -> None:
        """1,000 due renewals, five kills of the worker and a broker restart: one
        paid invoice per period, one capture per invoice, no 429, balanced books."""
        _subscribe_a_month_ago(SUBSCRIPTIONS)
        assert _due_now() == SUBSCRIPTIONS
        env = _service_env(
            sandbox_url=cloudpayments_sandbox, broker_url=broker.url, var_dir=tmp_path
        )
        seed = random.randrange(2**32)
        rng = random.Random(seed)

        with (
            _beats(env=env, folder=tmp_path),
            _Worker.running(env=env, folder=tmp_path, seed=seed) as worker,
        ):
            while worker.kills < KILLS:
                worker.wait_for_renewals(rng.randint(*PAID_BEFORE_KILL))
                # The fault itself: a kill at a random moment of a batch, not a wait.
                time.sleep(rng.uniform(0, KILL_DELAY_SECONDS))
                worker.kill()
                worker.start()
                if worker.kills == BROKER_RESTART_AFTER_KILL:
                    worker.wait_for_renewals(rng.randint(*PAID_BEFORE_KILL))
                    broker.restart()
            worker.wait_until_everything_renewed()
        entries = ledger(cloudpayments_sandbox, gateway="cloudpayments")["entries"]
        captures = [e for e in entries if e["kind"] == "capture"]
        refused = requests.get(
            f"{cloudpayments_sandbox}/__sandbox/stats", timeout=5
        ).json()["rate_limited"]

        assert (worker.kills, broker.restarts) == (KILLS, 1)
        assert refused == {"cloudpayments": 0, "stripe": 0}
        assert {e["kind"] for e in entries} == {"capture"}
        _assert_one_paid_invoice_per_period()
        _assert_one_capture_per_invoice(captures)
        _assert_no_payment_refused_or_unsettled()
        _assert_books_balance_with_the_gateway(captures)


# --- The subscriptions ---------------------------------------------------------------


def _subscribe_a_month_ago(count: int) -> None:
    """Subscribe `count` new payers through the real adapter and the sandbox, with a
    `now` 32 days back: their first period ended at least a day ago."""
    started_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=32)
    plan = create_plan(
        code="renewal-faults",
        name="Renewal faults",
        price=PRICE,
        interval="month",
        gateway="cloudpayments",
        now=started_at - dt.timedelta(days=1),
        actor=ACTOR,
    )
    cryptogram = entered_card(
        settings.SANDBOX_URL, "cloudpayments", CARDS["cloudpayments"]["success"]
    )
    failures: list[str] = []

    def subscribe_some(n: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(NO_FLUSH_AT_COMMIT)
            for _ in range(n):
                started = subscribe(
                    payer_id=uuid.uuid4(),
                    plan_code=plan.code,
                    now=started_at,
                    actor=ACTOR,
                    card_payload=cryptogram,
                    with_trial=False,
                )
                if started.subscription.status != SubscriptionStatus.ACTIVE:
                    failures.append(started.subscription.status)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(repr(exc))
        finally:
            connections.close_all()

    share, extra = divmod(count, SETUP_THREADS)
    threads = [
        threading.Thread(target=subscribe_some, args=(share + (n < extra),))
        for n in range(SETUP_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, f"first payments failed: {Counter(failures)}"


def _due_now() -> int:
    return Subscription.objects.filter(due_at__lte=dt.datetime.now(dt.UTC)).count()


def _paid_renewals() -> int:
    return Invoice.objects.filter(
        billing_reason=BillingReason.SUBSCRIPTION_CYCLE, status=InvoiceStatus.PAID
    ).count()


def _state() -> str:
    """Where the run stands, for a failure message."""
    subscriptions = Subscription.objects.aggregate(
        due=Count("id", filter=Q(due_at__lte=dt.datetime.now(dt.UTC))),
        claimed=Count("id", filter=Q(claimed_by__isnull=False)),
    )
    payments = Counter(Payment.objects.values_list("status", "failure_code"))
    return (
        f"renewals paid: {_paid_renewals()}; subscriptions {subscriptions}; "
        f"payments (status, failure code): {dict(payments)}"
    )


# --- The assertions ------------------------------------------------------------------


def _assert_one_paid_invoice_per_period() -> None:
    """Each subscription has two invoices, both paid: its first period's and the
    renewal's, which follows it and is the period it is in now; none is claimed
    or due any more."""
    periods: dict[uuid.UUID | None, list[tuple[str, Any, Any]]] = {}
    for subscription_id, reason, starts_at, ends_at in Invoice.objects.order_by(
        "period_starts_at"
    ).values_list(
        "subscription_id", "billing_reason", "period_starts_at", "period_ends_at"
    ):
        periods.setdefault(subscription_id, []).append((reason, starts_at, ends_at))
    statuses = Counter(Invoice.objects.values_list("status", flat=True))
    subscriptions = list(
        Subscription.objects.values_list(
            "id", "status", "current_period_starts_at", "current_period_ends_at"
        )
    )
    wrong = [
        (pk, status, periods.get(pk))
        for pk, status, starts_at, ends_at in subscriptions
        if status != SubscriptionStatus.ACTIVE
        or not _renewed_once(periods.get(pk, []), starts_at, ends_at)
    ]
    still_due = Subscription.objects.filter(
        Q(claimed_by__isnull=False) | Q(due_at__lte=dt.datetime.now(dt.UTC))
    )

    assert len(subscriptions) == SUBSCRIPTIONS
    assert wrong[:5] == []
    assert statuses == {InvoiceStatus.PAID: 2 * SUBSCRIPTIONS}
    assert not still_due.exists()


def _renewed_once(
    billed: list[tuple[str, Any, Any]], starts_at: Any, ends_at: Any
) -> bool:
    """Billed for a first period, then for the one after it, the current one."""
    return len(billed) == 2 and billed == [
        (BillingReason.SUBSCRIPTION_CREATE, billed[0][1], starts_at),
        (BillingReason.SUBSCRIPTION_CYCLE, starts_at, ends_at),
    ]


def _assert_one_capture_per_invoice(captures: list[dict[str, Any]]) -> None:
    """Every capture names our payment (`payment:<uuid>`), and every invoice is
    paid by exactly one of them, for its amount."""
    payment_ids = [
        uuid.UUID(str(e["invoice_id"]).removeprefix("payment:")) for e in captures
    ]
    payments = Payment.objects.in_bulk(payment_ids)
    invoices = {
        f"invoice:{pk}": total
        for pk, total in Invoice.objects.values_list("id", "total_minor")
    }
    unknown = [str(pk) for pk in payment_ids if pk not in payments]
    twice = [str(pk) for pk, n in Counter(payment_ids).items() if n > 1]
    per_invoice = Counter(payments[pk].pays for pk in payment_ids if pk in payments)
    not_once = {pays: n for pays, n in per_invoice.items() if n != 1}
    unpaid = invoices.keys() - per_invoice.keys()
    wrong_amounts = [
        e
        for e, pk in zip(captures, payment_ids, strict=True)
        if pk in payments and e["amount_minor"] != invoices.get(payments[pk].pays)
    ]

    assert not unknown, f"{len(unknown)} captures of no payment of ours: {unknown[:3]}"
    assert not twice, f"{len(twice)} payments captured twice or more: {twice[:3]}"
    assert not not_once, f"{len(not_once)} invoices captured more than once"
    assert not unpaid, f"{len(unpaid)} invoices with no capture: {sorted(unpaid)[:3]}"
    assert per_invoice.keys() == invoices.keys()
    assert wrong_amounts[:3] == []


def _assert_no_payment_refused_or_unsettled() -> None:
    """One payment per invoice, and it succeeded: none was refused
    (`gateway_unavailable`), declined, left UNKNOWN or made a second time."""
    statuses = Counter(Payment.objects.values_list("status", "failure_code"))

    assert statuses == {(PaymentStatus.SUCCEEDED, ""): 2 * SUBSCRIPTIONS}


def _assert_books_balance_with_the_gateway(captures: list[dict[str, Any]]) -> None:
    per_currency = LedgerEntry.objects.values("currency").annotate(
        debits=Sum("debit_minor"), credits=Sum("credit_minor")
    )
    cash = LedgerEntry.objects.filter(
        account=LedgerAccount.GATEWAY_CASH, subaccount="cloudpayments"
    ).aggregate(debits=Sum("debit_minor"), credits=Sum("credit_minor"))
    credit_held = LedgerEntry.objects.filter(account=LedgerAccount.CUSTOMER_CREDIT)

    assert [row for row in per_currency if row["debits"] != row["credits"]] == []
    assert {row["currency"] for row in per_currency} == {PRICE.currency}
    assert cash["debits"] - (cash["credits"] or 0) == sum(
        e["amount_minor"] for e in captures
    )
    assert not credit_held.exists()


# --- The processes -------------------------------------------------------------------


def _service_env(*, sandbox_url: str, broker_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of the service's processes: the benchmark settings (no test
    clock) on the test database, the private vhost and the sandbox."""
    database_url = (
        f"{postgres_server_url()}/{connection.settings_dict['NAME']}"
        f"?options={urllib.parse.quote('-c synchronous_commit=off')}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCHMARK_SETTINGS,
        # The tokens were encrypted by this process: the worker must read them.
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": "django-db",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": "",
        "SENTRY_DSN": "",
        "VAR_DIR": str(var_dir / "var"),
        "SANDBOX_URL": sandbox_url,
        "CLOUDPAYMENTS_API_URL": f"{sandbox_url}/",
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
        "STRIPE_API_BASE": sandbox_url,
        "LOG_LEVEL": "INFO",
        "RENEWAL_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "RENEWAL_TIME_BUDGET_SECONDS": str(TIME_BUDGET_SECONDS),
        "RENEWAL_BATCH_SIZE": str(BATCH_SIZE),
        "RENEWALS_CLOUDPAYMENTS_IN_FLIGHT": str(IN_FLIGHT),
    }


@pytest.fixture
def cloudpayments_sandbox(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The gateway sandbox as a process of its own, with this process's adapter
    pointed at it; its limit on requests in flight is above the run's."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "VAR_DIR": str(tmp_path / "var"),
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
    }
    argv = [
        sys.executable,
        "manage.py",
        "gateway_sandbox",
        "--port",
        str(port),
        "--notify-url",
        "",
        "--max-in-flight",
        str(SANDBOX_IN_FLIGHT),
    ]
    with running(argv, env, tmp_path / "sandbox.log"):
        wait_until_answering(f"{url}/__sandbox/health")
        settings.SANDBOX_URL = url
        settings.CLOUDPAYMENTS_API_URL = f"{url}/"
        settings.CLOUDPAYMENTS_PUBLIC_ID = PUBLIC_ID
        settings.CLOUDPAYMENTS_API_SECRET = API_SECRET
        reset_gateways()
        try:
            yield url
        finally:
            reset_gateways()


@contextlib.contextmanager
def _beats(*, env: dict[str, str], folder: Path) -> Iterator[None]:
    """`BEATS` beat processes at once, each with a schedule file of its own."""
    with contextlib.ExitStack() as stack:
        for n in range(1, BEATS + 1):
            argv = [
                *(sys.executable, "-m", "celery", "-A", "config", "beat"),
                *("--scheduler", BEAT_SCHEDULER, "--loglevel", "INFO"),
                *("--schedule", str(folder / f"beat-{n}-schedule")),
                *("--pidfile", str(folder / f"beat-{n}.pid")),
            ]
            stack.enter_context(running(argv, env, folder / f"beat-{n}.log"))
        yield


class _Worker:
    """The Celery worker of the renewals, killed and started again at will."""

    def __init__(self, *, env: dict[str, str], folder: Path, seed: int) -> None:
        self._env = env
        self._folder = folder
        self._seed = seed
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, *, env: dict[str, str], folder: Path, seed: int
    ) -> Iterator[_Worker]:
        """A worker for the block; whatever happens, it is stopped at the end."""
        worker = cls(env=env, folder=folder, seed=seed)
        worker.start()
        try:
            yield worker
        finally:
            worker._stop()

    def start(self) -> None:
        self.starts += 1
        argv = [
            *(sys.executable, "-m", "celery", "-A", "config", "worker"),
            *("--queues", "renewals,payments,default", "--concurrency", "2"),
            *("--hostname", f"renewals-{self.starts}@%h", "--loglevel", "INFO"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        ]
        with self._log.open("wb") as output:
            self._process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self._env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a lost host, OOM)."""
        self.kills += 1
        self._stop()

    def wait_for_renewals(self, renewals: int) -> None:
        """Block until `renewals` more renewals are paid: a run is under way."""
        target = _paid_renewals() + renewals
        deadline = time.monotonic() + PROGRESS_SECONDS
        while (paid := _paid_renewals()) < target:
            if paid == SUBSCRIPTIONS:
                self._fail(
                    f"every renewal was paid after {self.kills} kills: the kills "
                    f"came too far apart to land in the middle of the run"
                )
            if time.monotonic() > deadline:
                self._fail(
                    f"the renewal run is stuck: {paid} renewals paid after "
                    f"{PROGRESS_SECONDS} s of waiting for {target}"
                )
            time.sleep(0.05)

    def wait_until_everything_renewed(self) -> None:
        """Block until every renewal is paid and nothing is due or claimed."""
        deadline = time.monotonic() + FINISH_SECONDS
        while not (
            _paid_renewals() == SUBSCRIPTIONS
            and _due_now() == 0
            and not Subscription.objects.filter(claimed_by__isnull=False).exists()
        ):
            if time.monotonic() > deadline:
                self._fail(f"not renewed {FINISH_SECONDS} s after the last kill")
            time.sleep(0.2)

    @property
    def _log(self) -> Path:
        return self._folder / f"worker-{self.starts}.log"

    def _stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        self._process = None

    def _fail(self, problem: str) -> None:
        lines = self._log.read_text(errors="replace").splitlines()[-40:]
        pytest.fail(
            f"{problem} (after {self.kills} kills; random seed {self._seed})\n"
            f"{_state()}\n--- the end of {self._log}\n" + "\n".join(lines)
        )


# --- The broker ----------------------------------------------------------------------


class _Broker:
    """A private vhost on the local RabbitMQ, and restarting the broker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.restarts = 0

    def restart(self) -> None:
        """Stop the broker's application and start it again, whatever happens."""
        self.restarts += 1
        try:
            _rabbitmqctl("stop_app")
            # The fault itself: the broker stays away for a second, not a wait.
            time.sleep(1)
        finally:
            _rabbitmqctl("start_app")


@pytest.fixture
def broker() -> Iterator[_Broker]:
    """A vhost of this test's own, so that its queues are never anyone else's;
    deleting it at the end purges them, with the broker left running."""
    parts = urllib.parse.urlsplit(RABBITMQ_URL)
    problem = _broker_control_problem(parts.hostname)
    if problem is not None:
        if services_required():
            pytest.fail(f"REQUIRE_SERVICES=1, but this test {problem}", pytrace=False)
        pytest.skip(problem)
    vhost = f"renewal-faults-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl(
            "set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*"
        )
        yield _Broker(
            urllib.parse.urlunsplit(
                parts._replace(path="/" + urllib.parse.quote(vhost))
            )
        )
    finally:
        try:
            _rabbitmqctl("start_app")  # whatever a restart left behind
        finally:
            _rabbitmqctl("delete_vhost", vhost)


def _broker_control_problem(host: str | None) -> str | None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        return f"restarts RabbitMQ, which it can only do on this machine, not {host}"
    if shutil.which("rabbitmqctl") is None:
        return "restarts RabbitMQ with rabbitmqctl, which is not on PATH"
    try:
        _rabbitmqctl("status")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"restarts RabbitMQ with rabbitmqctl, which failed: {exc}"
    return None


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(
        ["rabbitmqctl", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )
