"""Daily reconciliation of a gateway's operations against ours (SPEC §8).

A pass claims the (gateway, day) run, reads the gateway's pages from the run's
cursor (`_reconciliation_pages` checks each in a transaction of its own), then
looks at what of ours the gateway did not list: a payment is looked up on its own
before it is called missing (the gateway may have listed it on the next day), our
unknown ones are settled by the janitor's rule. Running a completed day again
starts a new pass; what was found before is not recorded again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from typing import Final

from django.db import transaction
from django.db.models import F

from billing.errors import Conflict
from billing.money import Money
from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, PaymentGateway
from payments.gateways.operations import OperationsPage, day_bounds
from payments.models import (
    Payment,
    PaymentStatus,
    ReconciliationRun,
    ReconciliationStatus,
    Refund,
    RefundStatus,
)
from payments.services._janitor import settle_unknown_payment
from payments.services._payment_outcomes import (
    Settlement,
    apply_snapshot,
    gateway_reference_of,
    reference_for,
)
from payments.services._reconciliation_checks import (
    UNSETTLED,
    Finding,
    check_payment,
    missing_at_gateway,
    refund_missing_at_gateway,
)
from payments.services._reconciliation_pages import (
    ACTOR,
    Report,
    check_page,
)
from payments.signals import reconciliation_requested

logger = logging.getLogger(__name__)

# A run whose heartbeat is older is taken to have died: another may resume it.
RUN_LEASE: Final = dt.timedelta(minutes=10)
_UNSEEN_CHUNK: Final = 500


class ReconciliationInProgress(Conflict):
    """This gateway's day is being reconciled right now."""

    code = "reconciliation_in_progress"


def reconcile(
    *,
    gateway: str,
    day: dt.date,
    actor: str,
    now: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> ReconciliationRun:
    """Reconcile `gateway`'s `day`, resuming a pass that stopped.

    A gateway that fails mid-way leaves the run FAILED at its last page; the error
    is logged, not raised: the next run (Beat's, or a person's) resumes it.
    `progress` is told how many operations each page held.

    :raises ReconciliationInProgress: another pass holds the run.
    :raises UnknownGateway:
    """
    adapter = get_gateway(gateway)
    run = _claim(gateway, day, actor=actor, now=now)
    try:
        if run.listed_at is None:
            pages = adapter.day_operations(day=day, cursor=run.cursor or None)
            for page in read_ahead(pages):
                if check_page(run.id, page, now=now):
                    settle_waiting(run.id, adapter, now=now)
                if progress is not None:
                    progress(len(page.payments) + len(page.refunds))
        settle_waiting(run.id, adapter, now=now)
        _check_unseen(run.id, adapter, now=now)
    except GatewayError as error:
        logger.warning(
            "reconciliation.failed",
            extra={"gateway": gateway, "day": day.isoformat(), "error": str(error)},
        )
        return _finish(run.id, ReconciliationStatus.FAILED, now=now, error=str(error))
    return _finish(run.id, ReconciliationStatus.COMPLETED, now=now)


def request_reconciliation(*, gateway: str, day: dt.date, actor: str) -> None:
    """Have a worker reconcile `gateway`'s `day` once this transaction commits.

    :raises UnknownGateway:
    """
    get_gateway(gateway)
    transaction.on_commit(
        lambda: reconciliation_requested.send(
            sender=ReconciliationRun, gateway=gateway, day=day.isoformat(), actor=actor
        )
    )


def read_ahead(
    pages: Iterator[OperationsPage],
) -> Generator[OperationsPage, None, None]:
    """The pages, the next one read in a thread while the caller checks this one.

    The gateway's answer and the database's are waited for at the same time. The
    reader stops at the end, at the first error (raised here, in order), or when
    the caller stops asking; at most one page waits unchecked.
    """
    handoff: queue.Queue[OperationsPage | Exception | None] = queue.Queue(1)
    stop = threading.Event()

    def read() -> None:
        try:
            for page in pages:
                handoff.put(page)
                if stop.is_set():
                    return
            handoff.put(None)
        except Exception as error:  # noqa: BLE001 - the caller raises it, in order
            handoff.put(error)

    reader = threading.Thread(target=read, name="reconciliation-reader", daemon=True)
    reader.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)


def settle_waiting(run_id: int, adapter: PaymentGateway, *, now: dt.datetime) -> None:
    """Settle ours that a page listed with an outcome while we wait for it.

    Each is asked about by itself, as the janitor asks, for the gateway's whole
    record (a list's leaves out the card), then settled through the settlement
    rule under its row lock; a record that does not match is a discrepancy. The
    ids wait in the run's report, so a pass that stops here settles them when it
    resumes.
    """
    waiting = ReconciliationRun.objects.get(id=run_id).report.get("to_settle", [])
    for text in waiting:
        payment_id = uuid.UUID(text)
        snapshot = adapter.find_payment(reference=reference_for(payment_id))
        with transaction.atomic():
            run = ReconciliationRun.objects.select_for_update().get(id=run_id)
            payment = Payment.objects.select_for_update().get(id=payment_id)
            report = Report(run.report)
            if payment.status in UNSETTLED and snapshot is not None:
                settlement = apply_snapshot(payment, snapshot, now=now, actor=ACTOR)
                if settlement is Settlement.APPLIED:
                    run.settled += 1
                elif settlement is Settlement.HELD:
                    report.record(run, check_payment(snapshot, payment), now=now)
            report.data["to_settle"].remove(text)
            run.report = report.data
            run.save(update_fields=["report", "settled"])


def _claim(
    gateway: str, day: dt.date, *, actor: str, now: dt.datetime
) -> ReconciliationRun:
    with transaction.atomic():
        run, created = ReconciliationRun.objects.select_for_update().get_or_create(
            gateway=gateway,
            day=day,
            defaults={"started_by": actor, "started_at": now, "heartbeat_at": now},
        )
        if created:
            return run
        running = run.status == ReconciliationStatus.RUNNING
        if running and run.heartbeat_at > now - RUN_LEASE:
            raise ReconciliationInProgress(
                extra={"gateway": gateway, "day": day.isoformat()}
            )
        if run.status == ReconciliationStatus.COMPLETED:
            run.sightings.all().delete()
            run.passes += 1
            run.cursor, run.listed_at, run.report = "", None, {}
            run.operations = run.settled = 0
            run.started_by, run.started_at = actor, now
        run.status = ReconciliationStatus.RUNNING
        run.heartbeat_at, run.finished_at, run.error = now, None, ""
        run.save()
        return run


def _check_unseen(run_id: int, adapter: PaymentGateway, *, now: dt.datetime) -> None:
    """Ours of the day that the gateway's list did not hold."""
    run = ReconciliationRun.objects.get(id=run_id)
    start, end = day_bounds(run.day)
    sighted = run.sightings.values("object_id")
    payments = (
        Payment.objects.filter(gateway=run.gateway, created_at__gte=start)
        .filter(created_at__lt=end)
        .exclude(id__in=sighted)
    )
    unknown = payments.filter(status=PaymentStatus.UNKNOWN).values_list("id", flat=True)
    for payment_id in unknown.iterator(chunk_size=_UNSEEN_CHUNK):
        if settle_unknown_payment(payment_id=payment_id, now=now):
            ReconciliationRun.objects.filter(id=run_id).update(settled=F("settled") + 1)
    money = payments.filter(
        status__in=(PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED)
    ).order_by("id")
    for payment in money.iterator(chunk_size=_UNSEEN_CHUNK):
        _record(run_id, _unseen_payment(adapter, payment), now=now)
    refunds = (
        Refund.objects.filter(
            payment__gateway=run.gateway,
            status=RefundStatus.SUCCEEDED,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(id__in=sighted)
        .select_related("payment")
        .order_by("id")
    )
    for refund in refunds.iterator(chunk_size=_UNSEEN_CHUNK):
        _record(run_id, refund_missing_at_gateway(refund), now=now)


def _unseen_payment(adapter: PaymentGateway, payment: Payment) -> Finding | None:
    """Ask for the payment by itself: it may sit in another day's list."""
    snapshot = adapter.find_payment(reference=gateway_reference_of(payment))
    if snapshot is None or snapshot.gateway_reference != payment.gateway_reference:
        return missing_at_gateway(payment)
    return check_payment(snapshot, payment)


def _record(run_id: int, finding: Finding | None, *, now: dt.datetime) -> None:
    if finding is None:
        return
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(id=run_id)
        report = Report(run.report)
        report.record(run, finding, now=now)
        run.report = report.data
        run.heartbeat_at = now
        run.save(update_fields=["report", "heartbeat_at"])


def _finish(
    run_id: int, status: ReconciliationStatus, *, now: dt.datetime, error: str = ""
) -> ReconciliationRun:
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(id=run_id)
        run.status = status
        run.error = error
        run.finished_at = now
        run.heartbeat_at = now
        run.save()
        if status == ReconciliationStatus.COMPLETED:
            run.sightings.all().delete()
    return run


def gateway_money(run: ReconciliationRun, what: str) -> list[Money]:
    """The gateway's `captured`, `refunded` or `fees` of the run's day, per currency."""
    totals = run.report.get("gateway", {}).get(what, {})
    return [Money(amount, currency) for currency, amount in sorted(totals.items())]


def gateway_fees(
    *, starts: dt.date, ends: dt.date
) -> list[tuple[dt.date, str, str, int]]:
    """The fees the gateways' lists reported, per reconciled day, gateway, currency."""
    runs = ReconciliationRun.objects.filter(day__gte=starts, day__lte=ends)
    return [
        (run.day, run.gateway, fee.currency, fee.amount_minor)
        for run in runs.only("day", "gateway", "report")
        for fee in gateway_money(run, "fees")
    ]
