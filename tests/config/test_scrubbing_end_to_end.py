"""No secret leaves the service in a log line or an error report, end to end.

A gateway call fails in a way nothing anticipates, inside a real Celery worker
process on RabbitMQ and inside a web request, while it holds a card token, a
cryptogram and the gateway's credentials; the error's message echoes them all
(`tests.config.broken_gateway`). Sentry is on, pointed at a local endpoint that
keeps the envelopes it is sent; the logs are the processes' own output, in both
formats. None of them holds any secret, raw, base64-encoded or URL-encoded, while
each shows the failure itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import tempfile
import urllib.parse
from collections.abc import Iterator

import pytest
import sentry_sdk
from django.test import Client
from pytest_django.fixtures import Settings
from requests.adapters import HTTPAdapter

from billing.money import Money
from config.sentry import init_sentry
from payments.gateways import reset_gateways
from payments.models import Payment, PaymentStatus
from tests.config import broken_gateway
from tests.config.celery_worker import database_url, running_worker
from tests.config.console_logs import console_logs
from tests.config.sentry_envelopes import EnvelopeServer
from tests.payments.factories import CheckoutSessionFactory, PaymentFactory

pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.django_db(transaction=True),
    pytest.mark.database_independent,
]

FAILURE = "GatewayConnectionLost"
_SECRETS = (
    broken_gateway.CRYPTOGRAM,
    broken_gateway.TOKEN,
    broken_gateway.API_SECRET,
    broken_gateway.BASIC_CREDENTIALS,
)
# Each secret as it may be written: raw, base64-encoded, URL-encoded.
FORMS = {
    form
    for secret in _SECRETS
    for form in (
        secret,
        base64.b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    )
}
GATEWAY_SETTINGS = {
    "CLOUDPAYMENTS_PUBLIC_ID": broken_gateway.PUBLIC_ID,
    "CLOUDPAYMENTS_API_SECRET": broken_gateway.API_SECRET,
    # Never reached: the transport breaks before anything is sent.
    "CLOUDPAYMENTS_API_URL": "https://api.cloudpayments.invalid/",
}


def _shown(text: str) -> list[str]:
    return sorted(form for form in FORMS if form in text)


@pytest.fixture
def envelopes() -> Iterator[EnvelopeServer]:
    server = EnvelopeServer().start()
    yield server
    server.stop()


def _unknown_cloudpayments_payment() -> Payment:
    """A CloudPayments payment whose outcome the janitor must ask about now."""
    payment = PaymentFactory.create()
    Payment.objects.filter(id=payment.id).update(
        gateway="cloudpayments",
        status=PaymentStatus.UNKNOWN,
        next_outcome_check_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=1),
    )
    return payment


@pytest.mark.parametrize("log_format", ["text", "json"])
class TestAWorkerProcess:
    def test_logs_and_reports_a_failing_gateway_call_without_its_secrets(
        self, log_format: str, envelopes: EnvelopeServer
    ) -> None:
        """Celery's own task-failure log and the Sentry Celery integration see the
        error of a janitor's look-up, and show none of what it echoes."""
        _unknown_cloudpayments_payment()
        env = {
            **GATEWAY_SETTINGS,
            "DATABASE_URL": database_url(),
            "SENTRY_DSN": envelopes.dsn,
            "LOG_FORMAT": log_format,
        }

        with tempfile.TemporaryFile() as output:
            with running_worker(
                env=env, launcher=("-m", "tests.config.broken_gateway"), output=output
            ) as client:
                result = client.send_task("payments.settle_unknown_payments")
                result.get(timeout=60, propagate=False)
                report = envelopes.wait_for(FAILURE)
            output.seek(0)
            logged = output.read().decode("utf-8", errors="replace")

        assert result.failed()
        assert "payments.settle_unknown_payments" in logged
        assert FAILURE in logged and "Traceback" in logged
        assert _shown(logged) == []
        assert _shown(report) == []
        assert _shown("\n".join(envelopes.envelopes)) == []
        # What the worker sent back as the task's outcome (stored by a result
        # backend, shown by Flower from the task-failed event).
        assert _shown(repr(result.result)) == []
        assert _shown(str(result.traceback or "")) == []


@pytest.fixture
def web_logs(log_format: str, settings: Settings) -> Iterator[io.StringIO]:
    """The web process's log output, configured from the settings' LOGGING in
    `log_format`; the logging set-up before is restored after."""
    with console_logs(settings.LOGGING, log_format) as stream:
        yield stream


@pytest.fixture
def web_sentry(envelopes: EnvelopeServer) -> Iterator[EnvelopeServer]:
    init_sentry(dsn=envelopes.dsn, environment="test", release="billing@test")
    yield envelopes
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    sentry_sdk.init()


@pytest.fixture
def broken_cloudpayments(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The CloudPayments adapter with the broken transport under its SDK."""
    for name, value in GATEWAY_SETTINGS.items():
        setattr(settings, name, value)
    monkeypatch.setattr(HTTPAdapter, "send", broken_gateway.broken_send)
    reset_gateways()
    yield
    reset_gateways()


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.usefixtures("broken_cloudpayments")
class TestAWebRequest:
    def test_logs_and_reports_a_failing_card_payment_without_its_secrets(
        self,
        log_format: str,
        web_logs: io.StringIO,
        web_sentry: EnvelopeServer,
    ) -> None:
        """The checkout page's payment by cryptogram fails inside the gateway call:
        Django's error log and the Sentry Django integration see it, and show none
        of what it echoes."""
        session = CheckoutSessionFactory.create(
            gateway="cloudpayments",
            amount=Money(99_900, "RUB"),
            now=dt.datetime.now(tz=dt.UTC),
        )

        # The secrets also in the query string and the headers, which Sentry's
        # request data carries.
        response = Client(raise_request_exception=False).post(
            f"/checkout/{session.id}/pay?ref={broken_gateway.TOKEN}",
            {"card_payload": broken_gateway.CRYPTOGRAM},
            headers={
                "Authorization": f"Basic {broken_gateway.BASIC_CREDENTIALS}",
                "X-Card-Token": broken_gateway.TOKEN,
            },
        )
        sentry_sdk.flush()
        report = web_sentry.wait_for(FAILURE)

        logged = web_logs.getvalue()
        assert response.status_code == 500
        assert '"request"' in report
        assert FAILURE in logged and "Traceback" in logged
        assert _shown(logged) == []
        assert _shown(report) == []
        assert _shown("\n".join(web_sentry.envelopes)) == []
