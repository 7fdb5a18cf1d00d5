"""Celery, its queues and the beat schedule (run by django-celery-beat)."""

from __future__ import annotations

from celery.schedules import crontab
from kombu import Exchange, Queue

from config import env as environment

CELERY_BROKER_URL = environment.CELERY_BROKER_URL
CELERY_RESULT_BACKEND = environment.CELERY_RESULT_BACKEND
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = environment.CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TRACK_STARTED = True
# Task events (received, started, succeeded with its runtime, failed, retried) from
# the workers, and a sent event from whoever publishes a task: Flower counts them
# into its /metrics (task runtimes and failures by task; docs/operations.md#metrics).
# A few small messages per task on the broker's `celeryev` exchange, dropped there
# while no Flower listens.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
# The worker logs through the root logger's handler as configured in LOGGING, with
# its redaction; hijacking the root logger would replace that handler with
# Celery's own, which prints task failures (arguments, tracebacks) unmasked.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Late acknowledgement is chosen per task (only idempotent tasks set acks_late).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("default", "payments", "billing", "webhooks", "renewals")
]
# Webhook intake publishes at most one drain task per this many seconds from each
# web process, due that much later; the drain processes every event stored by then.
# An eager task runs when published, so there is no pending drain to wait for.
WEBHOOK_DRAIN_DELAY_SECONDS = 0.0 if CELERY_TASK_ALWAYS_EAGER else 0.1
# Each app's tasks go to its own queue, so a flood of webhooks never delays renewals;
# workers are started per queue (`-Q payments`, `-Q webhooks` …).
CELERY_TASK_ROUTES = {
    "payments.process_gateway_event": {"queue": "webhooks"},
    "payments.drain_gateway_events": {"queue": "webhooks"},
    "payments.retry_gateway_events": {"queue": "webhooks"},
    # Payers' mails wait on the auth service and the mail server: on billing's
    # quiet queue they never hold up a gateway call or wait behind a renewal run.
    "payments.send_payment_receipt": {"queue": "billing"},
    "payments.send_card_expired_notice": {"queue": "billing"},
    "subscriptions.send_dunning_reminder": {"queue": "billing"},
    "payments.*": {"queue": "payments"},
    # A renewal run keeps a worker busy for up to its time budget: its own queue, so
    # that payments' short tasks never wait behind it.
    "subscriptions.*": {"queue": "renewals"},
    "billing.echo": {"queue": "default"},
    "snacks.*": {"queue": "default"},
    "billing.*": {"queue": "billing"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Order work whose message was lost (the broker was down at the commit).
    "snacks.resend_lost_order_work": {
        "task": "snacks.resend_lost_order_work",
        "schedule": crontab(minute="*/5"),
        "options": {"queue": "default", "expires": 240},
    },
    # Every 2 seconds by default (too often for a crontab): reactions toggled in
    # Redis reach the database; a run with nothing pending reads one Redis key.
    "snacks.persist_reactions": {
        "task": "snacks.persist_reactions",
        "schedule": environment.REACTIONS_PERSIST_SECONDS,
        "options": {"queue": "default", "expires": 60},
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): one renewal run per gateway
    # bills, retries and cancels whatever fell due; a run still busy from the
    # previous minute makes the new one a no-op.
    "subscriptions.renew_due_subscriptions": {
        "task": "subscriptions.renew_due_subscriptions",
        "schedule": environment.RENEWAL_SWEEP_SECONDS,
        "options": {"queue": "renewals"},
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): beat and a worker are alive.
    "billing.heartbeat": {
        "task": "billing.heartbeat",
        "schedule": 60.0,
        "options": {"queue": "billing"},
    },
    # Daily at 03:17 (https://crontab.guru/#17_3_*_*_*): idempotency keys live 24 h.
    "billing.purge_client_requests": {
        "task": "billing.purge_client_requests",
        "schedule": crontab(hour=3, minute=17),
        "options": {"queue": "billing"},
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): unknown outcomes fall due at
    # 5 min, 1 h and daily; a check claims only the due ones.
    "payments.settle_unknown_payments": {
        "task": "payments.settle_unknown_payments",
        "schedule": 60.0,
        "options": {"queue": "payments"},
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): unknown refund outcomes fall
    # due on the same schedule as payments'; a check claims only the due ones.
    "payments.settle_unknown_refunds": {
        "task": "payments.settle_unknown_refunds",
        "schedule": 60.0,
        "options": {"queue": "payments"},
    },
    # Every 5 minutes (https://crontab.guru/#*/5_*_*_*_*): sessions live 30 minutes;
    # expiry is also read from `expires_at`, so a few minutes' lag shows nowhere.
    "payments.expire_checkout_sessions": {
        "task": "payments.expire_checkout_sessions",
        "schedule": 300.0,
        "options": {"queue": "payments"},
    },
    # Every 5 minutes (https://crontab.guru/#*/5_*_*_*_*): cryptograms live 15 min.
    "payments.expire_stale_payments": {
        "task": "payments.expire_stale_payments",
        "schedule": 300.0,
        "options": {"queue": "payments"},
    },
    # Daily at 04:07 (https://crontab.guru/#7_4_*_*_*), one entry per gateway:
    # yesterday's operations against ours. Late enough for the day's last
    # notifications; a run that fails is resumed by the next one, or from the admin.
    **{
        f"payments.reconcile_{gateway}": {
            "task": "payments.reconcile_gateway_day",
            "schedule": crontab(hour=4, minute=7),
            "kwargs": {"gateway": gateway},
            "options": {"queue": "payments"},
        }
        for gateway in ("cloudpayments", "stripe")
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): webhook events whose processing
    # failed, or that no worker picked up, are tried again a minute after arrival.
    "payments.retry_gateway_events": {
        "task": "payments.retry_gateway_events",
        "schedule": 60.0,
        "options": {"queue": "webhooks"},
    },
}

if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = environment.VAR_DIR / "celery" / "queue"
    _processed_dir = environment.VAR_DIR / "celery" / "processed"
    _control_dir = environment.VAR_DIR / "celery" / "control"
    # The transport expects its folders to exist; every process (web, worker, beat)
    # may be the first to start, so each makes sure.
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
