"""Sentry error reporting, on only when SENTRY_DSN is set."""

from __future__ import annotations

from config import env as environment

SENTRY_DSN = environment.SENTRY_DSN

if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=environment.SENTRY_ENVIRONMENT)
