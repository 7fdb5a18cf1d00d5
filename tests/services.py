"""Where the suite finds PostgreSQL, Redis and RabbitMQ, and whether they answer."""

from __future__ import annotations

import functools
import os

from django.conf import settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get(
    "TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"
)


def services_required() -> bool:
    """With REQUIRE_SERVICES=1 (as in CI) a missing service fails its tests."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


def database_is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith(".postgresql")


@functools.cache
def postgres_problem() -> str | None:
    """Why the configured PostgreSQL cannot be used, or None when it answers."""
    if not database_is_postgres():
        return "needs PostgreSQL: run with DATABASE_URL=postgres://… (make test does)"
    import psycopg

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"needs PostgreSQL at {db['HOST']}:{db['PORT']}: {exc}".strip()
    return None


@functools.cache
def redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"needs Redis at {REDIS_URL}: {exc}"
    return None


@functools.cache
def rabbitmq_problem() -> str | None:
    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - kombu raises transport-specific errors
        return f"needs RabbitMQ at {RABBITMQ_URL}: {exc}"
    return None


# The browser tests drive the OS package's Chromium; nothing downloads a browser.
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")


@functools.cache
def browser_problem() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"needs Chromium at {CHROMIUM}: install the OS package `chromium` "
            "(apt-get install --no-install-recommends chromium)"
        )
    return None


PROBLEMS = {
    "postgres": postgres_problem,
    "redis": redis_problem,
    "rabbitmq": rabbitmq_problem,
    "browser": browser_problem,
}
