"""Sentry error reporting, on only when SENTRY_DSN is set.

Every process of the service loads these settings before it does any work, so
each one starts Sentry here: the web (`config.wsgi`, `config.asgi`), Celery's
workers and beat (the app reads its configuration from these settings), and the
management commands (`grpc_server`, `consume_billing_events`, and the rest).
"""

from __future__ import annotations

from config import env as environment

SENTRY_DSN = environment.SENTRY_DSN

if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=environment.SENTRY_ENVIRONMENT,
        release=environment.SENTRY_RELEASE,
    )
