"""Every kind of process the service runs reports its errors to Sentry, under the
configured release and environment, tagged with the request id, and sends none of
the secrets it was given.

Each process is started as it is deployed (gunicorn with the WSGI and the ASGI
application, a Celery worker on RabbitMQ, Celery beat, `manage.py grpc_server`,
`manage.py consume_billing_events`) with SENTRY_DSN pointed at a local endpoint
that keeps what it is sent; each is made to fail in a way it does not
anticipate: a database that refuses connections, a task called with the wrong
arguments, a consumer with a forged token.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from typing import IO, Any

import grpc
import pytest
import requests

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.config.celery_worker import database_url, running_worker
from tests.config.sentry_envelopes import EnvelopeServer
from tests.config.service_processes import ROOT, grpc_server, running, web_server
from tests.grpc_api.tokens import service_metadata
from tests.journeys.shop import billing_for_the_shop

DATABASE_PASSWORD = "db-pass-5f2a9c"
# Nothing listens on port 1: every query fails with OperationalError.
REFUSING_DATABASE = (
    f"postgres://billing:{DATABASE_PASSWORD}@127.0.0.1:1/billing?connect_timeout=1"
)
SECRET_KEY = "django-secret-key-for-the-sentry-test-" + "k" * 24
RELEASE = f"billing-service@{uuid.uuid4().hex[:12]}"
ENVIRONMENT = "staging-eu"


@pytest.fixture
def envelopes() -> Iterator[EnvelopeServer]:
    server = EnvelopeServer().start()
    yield server
    server.stop()


@pytest.fixture
def output() -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as written:
        yield written


@pytest.fixture
def environment(envelopes: EnvelopeServer) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "SENTRY_DSN": envelopes.dsn,
        "SENTRY_ENVIRONMENT": ENVIRONMENT,
        "SENTRY_RELEASE": RELEASE,
    }


def _assert_reported(
    event: dict[str, Any],
    envelopes: EnvelopeServer,
    *secrets: str,
    release: str = RELEASE,
) -> None:
    """Under the release and environment given, with no secret in any envelope."""
    sent = "\n".join(envelopes.envelopes)
    assert (event["release"], event["environment"]) == (release, ENVIRONMENT)
    assert [s for s in (SECRET_KEY, DATABASE_PASSWORD, *secrets) if s in sent] == []


@pytest.mark.parametrize(
    ("application", "worker_class"),
    [
        ("config.wsgi", "sync"),
        ("config.asgi:application", "uvicorn_worker.UvicornWorker"),
    ],
    ids=["wsgi", "asgi"],
)
def test_the_web_reports_a_failed_request(
    application: str,
    worker_class: str,
    environment: dict[str, str],
    envelopes: EnvelopeServer,
    output: IO[bytes],
) -> None:
    api_token = uuid.uuid4().hex
    environment["DATABASE_URL"] = REFUSING_DATABASE

    with web_server(
        env=environment,
        output=output,
        application=application,
        worker_class=worker_class,
    ) as url:
        response = requests.get(
            f"{url}/api/v1/plans/",
            headers={"Authorization": f"Token {api_token}", "X-Request-ID": "web-1"},
            timeout=30,
        )
        event = envelopes.wait_for_event("OperationalError")

    assert response.status_code == 500
    assert event["tags"]["request_id"] == "web-1"
    _assert_reported(event, envelopes, api_token)


@pytest.mark.rabbitmq
def test_a_worker_reports_a_failed_task(
    environment: dict[str, str], envelopes: EnvelopeServer, output: IO[bytes]
) -> None:
    card_token = "tk_" + uuid.uuid4().hex

    with running_worker(env=environment, output=output) as client:
        result = client.send_task(
            "billing.echo",
            kwargs={"token": card_token},
            headers={"request_id": "renewal-run-7"},
        )
        result.get(timeout=60, propagate=False)
        event = envelopes.wait_for_event("unexpected keyword argument")

    assert result.failed()
    assert event["tags"]["request_id"] == "renewal-run-7"
    _assert_reported(event, envelopes, card_token)


def test_beat_reports_a_failure_to_start(
    environment: dict[str, str],
    envelopes: EnvelopeServer,
    output: IO[bytes],
    tmp_path: Any,
) -> None:
    """Its database scheduler cannot read the schedule. Without SENTRY_RELEASE
    the release is the version in pyproject.toml (the SDK's own guess would be
    the checkout's commit)."""
    del environment["SENTRY_RELEASE"]
    environment.update(
        DATABASE_URL=REFUSING_DATABASE, CELERY_BROKER_URL="memory://localhost/"
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    arguments = (
        *("-m", "celery", "-A", "config", "beat", "--pidfile="),
        *("--schedule", str(tmp_path / "schedule")),
    )

    with running(arguments, env=environment, output=output):
        event = envelopes.wait_for_event("OperationalError")

    _assert_reported(event, envelopes, release=f"billing-service@{project['version']}")


def test_the_grpc_server_reports_a_failed_call(
    environment: dict[str, str], envelopes: EnvelopeServer, output: IO[bytes]
) -> None:
    metadata = (*service_metadata("billing.read"), ("x-request-id", "shop-7f3a"))
    environment["DATABASE_URL"] = REFUSING_DATABASE

    with grpc_server(env=environment, output=output) as target:
        with grpc.insecure_channel(target) as channel, pytest.raises(grpc.RpcError):
            billing_pb2_grpc.BillingServiceStub(channel).ListPlans(
                billing_pb2.ListPlansRequest(), metadata=metadata, timeout=30
            )
        event = envelopes.wait_for_event("OperationalError")

    assert event["tags"]["request_id"] == "shop-7f3a"
    _assert_reported(event, envelopes, metadata[0][1].removeprefix("Bearer "))


@pytest.mark.django_db(transaction=True)
@pytest.mark.database_independent
def test_the_event_consumer_reports_why_it_stopped(
    environment: dict[str, str], envelopes: EnvelopeServer, output: IO[bytes]
) -> None:
    """Billing refuses its token: a mistake no reconnecting cures, so it stops."""
    forged_token = "forged-" + uuid.uuid4().hex
    environment.update(DATABASE_URL=database_url(), SHOP_BILLING_TOKEN=forged_token)

    with billing_for_the_shop() as billing:
        arguments = (
            *("manage.py", "consume_billing_events"),
            *("--target", f"127.0.0.1:{billing.port}"),
        )
        with running(arguments, env=environment, output=output) as consumer:
            event = envelopes.wait_for_event("UNAUTHENTICATED")
            consumer.wait(timeout=30)

    assert consumer.returncode != 0
    _assert_reported(event, envelopes, forged_token)
