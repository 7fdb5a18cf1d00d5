"""The renewal run: every due subscription of a gateway billed once per period.

One run per gateway at a time (`exclusive_run`), so that the gateway's limits hold
for the whole service. The run claims due subscriptions in batches with
`SELECT … FOR UPDATE SKIP LOCKED` and, in the claim's transaction, issues the
batch's invoices and saves a PENDING payment per invoice (one statement per table
for the whole batch; `_renewal_claims`, `_renewal_charges`). After the commit,
`concurrency` threads send the charges through a `GatewayThrottle`, and a few
others apply the answers, each with its subscription's outcome, several renewals
to a transaction (`_charging_pool`, `_renewal_outcomes`).

Why a period is never charged twice, whatever crashes:

- a period has one invoice (a database constraint), and an invoice one live payment
  (another), so a second claim of the same period finds them and does not bill;
- the PENDING payment is saved with its idempotency key before the gateway is
  called; a run that finds one a dead run left (its lease is released at once when
  the run lock shows the run is gone) sends it again with the same key, which the
  gateway answers without charging again — within `RESEND_WITHIN`, well inside the
  gateways' replay windows (CloudPayments 1 hour, Stripe 24 hours); older ones are
  the janitor's, who asks the gateway;
- an answer that never came (timeout, lost reply) leaves the payment UNKNOWN for the
  janitor, and the subscription waits for its settlement.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping
from functools import partial

from payments.gateways.throttle import GatewayThrottle
from payments.services import GatewayAnswer
from subscriptions.services._charge_outcomes import DunningPolicy
from subscriptions.services._charging_pool import ChargingPool
from subscriptions.services._renewal_charges import send_charge
from subscriptions.services._renewal_claims import (
    claim_and_prepare,
    release_dead_claims,
)
from subscriptions.services._renewal_context import (
    PreparedCharge,
    RenewalReport,
    RenewalRun,
)
from subscriptions.services._renewal_outcomes import settle_answers
from subscriptions.services._run_lock import exclusive_run


def renew_due_subscriptions(
    *,
    gateway: str,
    clock: Callable[[], dt.datetime],
    concurrency: int = 1,
    per_second: float | None = None,
    batch_size: int = 100,
    payer_offsets: Mapping[uuid.UUID, dt.timedelta] | None = None,
    time_budget: dt.timedelta | None = None,
    policy: DunningPolicy | None = None,
) -> RenewalReport:
    """Renew, retry, cancel or end every subscription of `gateway` that is due.

    Due means `due_at` at or before the moment the run starts (`clock()` then, plus
    a payer's test-clock offset from `payer_offsets`). A subscription that falls due
    again during the run (a clock moved by months) is renewed again, period by
    period. With `time_budget`, the run stops claiming when it is spent and says
    whether more is due. A run finding another one of the gateway busy does
    nothing (`skipped`).
    """
    report = RenewalReport(gateway=gateway)
    with exclusive_run(f"renewals:{gateway}") as acquired:
        if not acquired:
            report.skipped = True
            return report
        run = RenewalRun(
            gateway=gateway,
            clock=clock,
            offsets=dict(payer_offsets or {}),
            policy=policy or DunningPolicy.from_settings(),
            batch_size=batch_size,
            report=report,
        )
        deadline = (
            time.monotonic() + time_budget.total_seconds() if time_budget else None
        )
        pool: ChargingPool[PreparedCharge, GatewayAnswer] = ChargingPool(
            size=concurrency,
            send=partial(send_charge, run),
            settle=partial(settle_answers, run),
            throttle=GatewayThrottle(max_in_flight=concurrency, per_second=per_second),
        )
        with pool:
            release_dead_claims(run)
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    report.more_due = True
                    break
                charges = claim_and_prepare(run)
                if charges is None:
                    # Charges still in flight may make their subscriptions due again.
                    pool.drain()
                    charges = claim_and_prepare(run)
                    if charges is None:
                        break
                for charge in charges:
                    pool.put(charge)
    return report
