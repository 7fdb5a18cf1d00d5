"""One request id from the caller to the worker's logs, through real processes.

An HTTP request to gunicorn and a gRPC call to `manage.py grpc_server` each start
a Celery task; a real worker runs it from RabbitMQ and logs JSON. The lines the
worker logs while running that task carry the id the caller sent, which the
caller also got back: what a support engineer is handed leads to everything the
request did, in every process.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO, Any

import grpc
import pytest
import requests

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.config.celery_worker import database_url, private_queue, running_worker
from tests.config.service_processes import grpc_server, json_lines, web_server
from tests.grpc_api.payment_calls import WRITE, one_off, saved_card
from tests.grpc_api.tokens import service_metadata
from tests.payments import staff
from tests.polling import wait_until
from tests.services import RABBITMQ_URL

pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.django_db(transaction=True),
    pytest.mark.database_independent,
]


@pytest.fixture
def environment() -> dict[str, str]:
    """What every process of the test shares: the test database, the broker and
    a private queue, JSON logs at INFO."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.config.process_settings",
        "TEST_CELERY_QUEUE": private_queue(),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": RABBITMQ_URL,
        "CELERY_RESULT_BACKEND": "rpc://",
        "LOG_FORMAT": "json",
    }


@pytest.fixture
def worker_output(environment: dict[str, str]) -> Iterator[IO[bytes]]:
    """The output of a worker on the private queue, running until the test ends."""
    with (
        tempfile.TemporaryFile() as output,
        running_worker(
            env=environment, output=output, queue=environment["TEST_CELERY_QUEUE"]
        ),
    ):
        yield output


@pytest.fixture
def server_output() -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as output:
        yield output


def _lines_of_task(output: IO[bytes], name: str) -> list[dict[str, Any]]:
    """The worker's lines from the start to the end of the first task called
    `name`, once it has finished (Celery's own "succeeded" line ends them)."""

    def finished() -> list[dict[str, Any]]:
        return [
            line
            for line in json_lines(output)
            if line["message"].startswith(f"Task {name}[")
            and "succeeded" in line["message"]
        ]

    wait_until(finished, timeout=60, interval=0.2, message=f"{name} did not succeed")
    task_id = finished()[0]["message"].split("[", 1)[1].split("]", 1)[0]
    lines = json_lines(output)
    # The "received" line is the consumer's, written before the task starts.
    received = _index_of(lines, f"Task {name}[{task_id}] received")
    succeeded = _index_of(lines, f"Task {name}[{task_id}] succeeded")
    return lines[received + 1 : succeeded + 1]


def _index_of(lines: list[dict[str, Any]], start: str) -> int:
    return next(i for i, line in enumerate(lines) if line["message"].startswith(start))


class TestAnHttpRequest:
    def test_its_id_reaches_the_worker_that_runs_its_task(
        self,
        environment: dict[str, str],
        worker_output: IO[bytes],
        server_output: IO[bytes],
    ) -> None:
        """Accounting asks for a day's reconciliation; a worker runs it."""
        token = staff.token_for(staff.accounting())
        request_id = f"support-ticket-{uuid.uuid4().hex[:6]}"

        with web_server(env=environment, output=server_output) as url:
            response = requests.post(
                f"{url}/api/v1/reconciliation-runs/",
                json={"gateway": "fake", "day": "2024-03-01"},
                headers={"Authorization": f"Token {token}", "X-Request-ID": request_id},
                timeout=30,
            )
            lines = _lines_of_task(worker_output, "payments.reconcile_gateway_day")

        assert response.status_code == 202
        assert response.headers["X-Request-ID"] == request_id
        assert lines
        assert {line["request_id"] for line in lines} == {request_id}


class TestAGrpcCall:
    def test_its_id_reaches_the_worker_that_runs_its_task(
        self,
        environment: dict[str, str],
        worker_output: IO[bytes],
        server_output: IO[bytes],
    ) -> None:
        """The shop charges a saved card; a worker mails the receipt."""
        card = saved_card()
        request_id = f"shop-order-{uuid.uuid4().hex[:6]}"

        with grpc_server(env=environment, output=server_output) as target:
            with grpc.insecure_channel(target) as channel:
                response, call = billing_pb2_grpc.BillingServiceStub(
                    channel
                ).ChargePayment.with_call(
                    billing_pb2.ChargePaymentRequest(
                        payment=one_off(card.payer_id), idempotency_key="charge-1"
                    ),
                    metadata=(*service_metadata(WRITE), ("x-request-id", request_id)),
                    timeout=30,
                )
            lines = _lines_of_task(worker_output, "payments.send_payment_receipt")

        assert response.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert dict(call.initial_metadata())["x-request-id"] == request_id
        assert lines
        assert {line["request_id"] for line in lines} == {request_id}
