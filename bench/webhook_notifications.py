"""The webhook benchmark's data: payments waiting for their notifications, the signed
notifications themselves, and what the service made of them afterwards."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import random
import urllib.parse
import uuid
from collections.abc import Iterator

from bench.loadgen import Request
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS

# The sandbox runs only with its own credentials, and the service shares them.
API_SECRET = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]
DUPLICATE_SHARE = 0.25


def signed_pay_notifications(
    env: dict[str, str], count: int
) -> tuple[list[bytes], int]:
    """`count` Pay notification bodies for new waiting payments, a quarter of them
    repeated, shuffled; and how many are unique."""
    unique = int(count * (1 - DUPLICATE_SHARE))
    payer_id, targets = _create_waiting_payments(env, unique)
    bodies = [_pay_notification(pid, tx, payer_id) for pid, tx in targets]
    bodies += random.choices(bodies, k=count - unique)
    random.shuffle(bodies)
    return bodies, unique


def _create_waiting_payments(
    env: dict[str, str], count: int
) -> tuple[str, list[tuple[str, int]]]:
    """Payments in PENDING, as if each had just been sent to CloudPayments; their
    payer."""
    os.environ.update(env)
    import django

    django.setup()
    from billing.models import Payer
    from payments.models import Payment

    now = dt.datetime.now(dt.UTC)
    payer = Payer.objects.create(id=uuid.uuid4())
    first_transaction = 1_000_000 + Payment.objects.count()
    payments = [
        Payment(
            id=uuid.uuid4(),
            payer=payer,
            kind="ONE_OFF",
            gateway="cloudpayments",
            amount_minor=19_900,
            currency="RUB",
            idempotency_key=f"bench:{uuid.uuid4()}",
            gateway_reference=str(first_transaction + index),
            created_at=now,
            updated_at=now,
        )
        for index in range(count)
    ]
    Payment.objects.bulk_create(payments, batch_size=2000)
    return str(payer.id), [(str(p.id), int(str(p.gateway_reference))) for p in payments]


def _pay_notification(payment_id: str, transaction_id: int, payer_id: str) -> bytes:
    fields = {
        "TransactionId": transaction_id,
        "Amount": "199.00",
        "Currency": "RUB",
        "PaymentAmount": "199.00",
        "PaymentCurrency": "RUB",
        "DateTime": "2026-11-23 12:00:00",
        "CardFirstSix": "400000",
        "CardLastFour": "3055",
        "CardType": "Visa",
        "CardExpDate": "12/30",
        "TestMode": 1,
        "Status": "Completed",
        "OperationType": "Payment",
        "InvoiceId": f"payment:{payment_id}",
        "AccountId": payer_id,
        "GatewayName": "Test",
    }
    return urllib.parse.urlencode(fields).encode()


def signed_requests(bodies: list[bytes]) -> Iterator[Request]:
    for body in bodies:
        signature = base64.b64encode(
            hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-HMAC": signature,
        }
        yield Request("POST", "/webhooks/cloudpayments/pay/", body, headers)


def outcome_counts() -> dict[str, int]:
    """Rows stored and processed, payments settled, and their transitions."""
    from billing.models import StatusChange
    from payments.models import GatewayEventRecord, Payment

    return {
        "stored": GatewayEventRecord.objects.count(),
        "processed": GatewayEventRecord.objects.filter(status="PROCESSED").count(),
        "succeeded": Payment.objects.filter(status="SUCCEEDED").count(),
        "transitions": StatusChange.objects.filter(to_status="SUCCEEDED").count(),
    }
