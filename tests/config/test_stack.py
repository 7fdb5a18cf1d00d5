"""`make stack`: the production topology on one machine, driven from outside.

The real `make stack`, on ports, a database, a Redis database and a RabbitMQ vhost of
this test's own (the knobs of .env.stack, overridden from the environment), serves a
member who subscribes over gRPC, whose payment the sandbox notifies, who orders in
the shop, and whose subscription renews once a day has passed; then Ctrl-C leaves no
process and no port behind. Nothing is faked: every step goes through the stack's
own processes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
import redis
import requests
from grpc_health.v1 import health_pb2
from prometheus_client.parser import text_string_to_metric_families

from grpc_api.client import connect_billing
from grpc_api.generated.billing.v1 import billing_pb2 as b
from grpc_api.generated.billing.v1 import billing_pb2_grpc
from tests.config.celery_worker import postgres_server_url
from tests.config.stack_process import Stack, port_is_free
from tests.grpc_api.probes import health_status
from tests.journeys.cards import CARDS
from tests.ports import free_port
from tests.process_trees import alive, descendants
from tests.rabbitmq_vhosts import private_vhost
from tests.services import RABBITMQ_URL, REDIS_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.rabbitmq,
    # A dozen processes start on a machine busy with the rest of the suite.
    pytest.mark.timeout(240),
]

PORTS = ("WEB", "EDGE", "GRPC", "GRPC_METRICS", "FLOWER", "SANDBOX")
FLOWER_AUTH = ("stack", "stack-flower-2026")
WORKERS = ("payments", "webhooks", "renewals", "billing")
SHOP_ADMIN, SHOP_ADMIN_PASSWORD = "shop-admin@example.com", "Stack-admin-2026"
# Bounds, generous for a machine that runs the rest of the suite beside the stack.
START_SECONDS = 150
STEP_SECONDS = 60
STOP_SECONDS = 30
# The operator's part, on the stack's settings and database: a daily plan at the
# sandbox's CloudPayments, a shop admin and a snack (the stack loads no demo data).
SETUP = f"""
import json
from django.utils import timezone
from accounts.models import ShopRole, User
from billing.money import Money
from snacks.services import create_snack
from subscriptions.services import create_plan
create_plan(code="stack-daily", name="Stack daily", price=Money(10_000, "RUB"),
            interval="day", gateway="cloudpayments", now=timezone.now(),
            actor="system:stack-test")
User.objects.create_user("{SHOP_ADMIN}", "{SHOP_ADMIN_PASSWORD}", name="Shop Admin",
                         role=ShopRole.ADMIN)
snack = create_snack(name="Salted pretzels", amount_minor=25_000, currency="RUB")
print(json.dumps({{"snack": str(snack.id)}}))
"""
# The member's Pay notifications, as the web stored them and what became of them.
NOTIFICATIONS = """
SELECT event.kind, event.status
FROM payments_gatewayeventrecord AS event
JOIN payments_payment AS payment ON payment.id = event.payment_id
WHERE payment.payer_id = %s
"""


@dataclass(frozen=True)
class Addresses:
    web: str
    edge: str
    sandbox: str
    grpc: str
    flower: str

    @classmethod
    def on(cls, ports: dict[str, int]) -> Addresses:
        return cls(
            web=f"http://127.0.0.1:{ports['WEB']}",
            edge=f"http://127.0.0.1:{ports['EDGE']}",
            sandbox=f"http://127.0.0.1:{ports['SANDBOX']}",
            grpc=f"127.0.0.1:{ports['GRPC']}",
            flower=f"http://127.0.0.1:{ports['FLOWER']}",
        )


@pytest.fixture
def free_ports() -> dict[str, int]:
    return {name: free_port() for name in PORTS}


@pytest.fixture
def stack_database() -> Iterator[str]:
    """The URL of a database that does not exist yet on the suite's PostgreSQL
    server (the stack creates it), dropped afterwards."""
    server = postgres_server_url()
    name = f"billing_stack_test_{uuid.uuid4().hex[:8]}"
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack(
    tmp_path: Path, stack_database: str, free_ports: dict[str, int]
) -> Iterator[Stack]:
    """`make stack` with this test's knobs; killed whole if the test fails."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    with private_vhost(RABBITMQ_URL, prefix="stack") as broker_url:
        environment = {
            name: value
            for name, value in os.environ.items()
            # The suite's own make and any tokens of the caller's are not the stack's.
            if name
            not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
            | {"AUTH_GRPC_TOKEN", "SHOP_BILLING_TOKEN"}
        }
        environment |= {f"STACK_{name}_PORT": str(free_ports[name]) for name in PORTS}
        environment |= {
            "STACK_DATABASE_URL": stack_database,
            "STACK_REDIS_URL": REDIS_URL,
            "STACK_BROKER_URL": broker_url,
            "STACK_VAR_DIR": str(tmp_path / "var"),
            # Beat starts the renewal run every second instead of every minute.
            "RENEWAL_SWEEP_SECONDS": "1",
        }
        running = Stack(environment, tmp_path / "stack.log")
        try:
            yield running
        finally:
            running.kill()


class TestMakeStack:
    def test_subscribes_notifies_sells_renews_and_stops_every_process_on_ctrl_c(
        self, stack: Stack, free_ports: dict[str, int], stack_database: str
    ) -> None:
        at = Addresses.on(free_ports)
        stack.start()
        # The operator's part runs while the processes start: `make stack` prints
        # its banner once the database is migrated.
        stack.wait_until(
            lambda: "The stack is starting" in stack.output(),
            timeout=START_SECONDS,
            message="make stack did not migrate its database",
        )
        snack_id = _operator_setup(stack)
        _wait_until_ready(stack, at)
        flower_without_password = requests.get(at.flower, timeout=5).status_code

        member = _sign_up(at.web, "member@example.com", "Snack-lover-2026")
        billing = connect_billing(at.grpc, token=member)
        started = _subscribe(billing, at.sandbox)
        _wait_for_the_pay_notification(
            stack, stack_database, started.subscription.payer_id
        )
        order_id = _order(at.web, member, snack_id)
        _wait_for_hold(stack, at.web, member, order_id, "AUTHORIZED")
        _ship(at.web, _token(at.web, SHOP_ADMIN, SHOP_ADMIN_PASSWORD), order_id)
        _wait_for_hold(stack, at.web, member, order_id, "CAPTURED")
        _let_a_day_pass(stack_database, started.subscription.id)
        stack.wait_until(
            lambda: _settled(_payments(billing, b.PAYMENT_KIND_RECURRING)),
            timeout=STEP_SECONDS,
            message="beat and the renewals worker did not charge the renewal",
        )
        initial_payments = _payments(billing, b.PAYMENT_KIND_INITIAL)
        renewal_payments = _payments(billing, b.PAYMENT_KIND_RECURRING)
        renewed = billing.GetSubscription(
            b.GetSubscriptionRequest(subscription_id=started.subscription.id),
            timeout=STEP_SECONDS,
        ).subscription

        metrics = _scrape(at, free_ports["GRPC_METRICS"])

        processes = descendants(stack.pid)
        exit_code = stack.interrupt(timeout=STOP_SECONDS)
        left = [pid for pid in processes if alive(pid)]
        busy_ports = [port for port in free_ports.values() if not port_is_free(port)]

        assert flower_without_password == 401
        assert started.subscription.status == b.SUBSCRIPTION_STATUS_ACTIVE
        assert initial_payments == [b.PAYMENT_STATUS_SUCCEEDED]
        assert renewal_payments == [b.PAYMENT_STATUS_SUCCEEDED]
        next_day = dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
        assert renewed.current_period_end.ToDatetime(dt.UTC) > next_day
        # Each process's metrics saw the same story.
        assert metrics.web("billing_database_up") == 1
        assert metrics.web("billing_celery_broker_up") == 1
        assert (
            metrics.web(
                "billing_renewal_charges_today",
                gateway="cloudpayments",
                outcome="charged",
            )
            == 1
        )
        assert (
            metrics.grpc(
                "grpc_server_handled_total",
                grpc_method="StartSubscription",
                grpc_code="OK",
            )
            == 1
        )
        assert (
            metrics.flower(
                "flower_events_total",
                task="subscriptions.run_renewals",
                type="task-succeeded",
            )
            >= 1
        )
        # web, gRPC, four workers with their pools, beat, consumer, Flower, sandbox.
        assert len(processes) >= 20
        assert exit_code != 0  # make says that the recipe was interrupted
        assert left == [], f"still running after Ctrl-C: {left}"
        assert busy_ports == []


@dataclass(frozen=True)
class Scraped:
    """What each process's /metrics said: `web(name, **labels)`, summed over the
    series whose labels include `labels` (Flower's carry the worker's name too)."""

    pages: dict[str, str]

    def web(self, name: str, **labels: str) -> float:
        return self._sum("web", name, labels)

    def grpc(self, name: str, **labels: str) -> float:
        return self._sum("grpc", name, labels)

    def flower(self, name: str, **labels: str) -> float:
        return self._sum("flower", name, labels)

    def _sum(self, page: str, name: str, labels: dict[str, str]) -> float:
        total = 0.0
        for family in text_string_to_metric_families(self.pages[page]):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    total += sample.value
        return total


def _scrape(at: Addresses, grpc_metrics_port: int) -> Scraped:
    urls = {
        "web": f"{at.web}/metrics",
        "grpc": f"http://127.0.0.1:{grpc_metrics_port}/metrics",
        "flower": f"{at.flower}/metrics",
    }
    return Scraped(
        {page: requests.get(url, timeout=10).text for page, url in urls.items()}
    )


def _operator_setup(stack: Stack) -> str:
    """`SETUP` through `make stack-manage`; the snack's id."""
    # `$$` is make's `$`: the shell reads the script from the environment.
    output = stack.manage(
        "shell", '--command="$$STACK_SETUP"', extra={"STACK_SETUP": SETUP}
    )
    return str(json.loads(output.strip().splitlines()[-1])["snack"])


def _wait_until_ready(stack: Stack, at: Addresses) -> None:
    """The web ready (database, broker, cache), the webhook edge, the sandbox and
    gRPC serving, and a worker per queue alive as Flower sees them."""
    for url in (f"{at.web}/readyz", f"{at.sandbox}/__sandbox/health"):
        stack.wait_until(
            functools.partial(_answers, url),
            timeout=START_SECONDS,
            message=f"{url} does not answer 200",
        )
    # The edge has no health page: a webhook URL asked with GET answers 405.
    stack.wait_until(
        functools.partial(_answers, f"{at.edge}/webhooks/stripe/", status=405),
        timeout=START_SECONDS,
        message="the webhook edge does not answer",
    )
    with grpc.insecure_channel(at.grpc) as channel:
        stack.wait_until(
            lambda: _serving(channel),
            timeout=START_SECONDS,
            message="gRPC health does not say SERVING",
        )
    stack.wait_until(
        lambda: set(WORKERS) <= _flower_workers(at.flower),
        timeout=START_SECONDS,
        message="Flower does not see a worker per queue alive",
    )


def _subscribe(
    billing: billing_pb2_grpc.BillingServiceStub, sandbox: str
) -> b.StartSubscriptionResponse:
    """The member subscribes to the daily plan and pays now, with a card entered in
    the (sandbox's) CloudPayments widget."""
    return billing.StartSubscription(
        b.StartSubscriptionRequest(
            plan_code="stack-daily",
            card=b.NewCard(
                cloudpayments_cryptogram=_cryptogram(sandbox),
                cardholder_name="STACK MEMBER",
            ),
            with_trial=False,
            idempotency_key=str(uuid.uuid4()),
        ),
        timeout=STEP_SECONDS,
    )


def _wait_for_the_pay_notification(
    stack: Stack, database_url: str, payer_id: str
) -> None:
    """The sandbox's Pay notification stored by the web, then applied by the
    webhooks worker, or found to add nothing when the charge's answer came first."""
    settled = {("cloudpayments.pay", "PROCESSED"), ("cloudpayments.pay", "IGNORED")}
    stack.wait_until(
        lambda: settled & set(_rows(database_url, NOTIFICATIONS, payer_id)),
        timeout=STEP_SECONDS,
        message="the sandbox's Pay notification was not stored and settled",
    )


def _order(web: str, member: str, snack_id: str) -> str:
    """Two of the snack, held on the member's saved card: the order's id."""
    purchases = [{"snack_id": snack_id, "quantity": 2}]
    return str(_shop(web, member, "orders/", {"purchases": purchases})["id"])


def _ship(web: str, admin: str, order_id: str) -> None:
    """The shop admin approves the order, then orders it, which captures the hold."""
    arrival = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
    moves = [
        {"status": "APPROVED"},
        {"status": "ORDERED", "expected_arrival": arrival.isoformat()},
    ]
    for move in moves:
        _shop(web, admin, f"orders/{order_id}/status/", move)


def _wait_for_hold(
    stack: Stack, web: str, token: str, order_id: str, status: str
) -> None:
    """The order's hold reads `status`: the consumer applied billing's event."""

    def hold_status() -> str:
        reply = requests.get(
            f"{web}/api/v1/shop/orders/{order_id}/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        return str(reply.json().get("hold_status"))

    stack.wait_until(
        lambda: hold_status() == status,
        timeout=STEP_SECONDS,
        message=f"the order's hold never became {status}",
    )


def _let_a_day_pass(database_url: str, subscription_id: str) -> None:
    """Move the subscription's current day, and the invoice for it, a day back, so
    that its period has ended: what no operator would do, and a test may."""
    moved = {"day": dt.timedelta(days=1), "subscription": subscription_id}
    with psycopg.connect(database_url) as writer:
        writer.execute(
            """
            UPDATE subscriptions_subscription SET
                billing_anchor_at = billing_anchor_at - %(day)s,
                current_period_starts_at = current_period_starts_at - %(day)s,
                current_period_ends_at = current_period_ends_at - %(day)s,
                due_at = due_at - %(day)s
            WHERE id = %(subscription)s
            """,
            moved,
        )
        writer.execute(
            """
            UPDATE billing_invoice SET
                period_starts_at = period_starts_at - %(day)s,
                period_ends_at = period_ends_at - %(day)s
            WHERE subscription_id = %(subscription)s
            """,
            moved,
        )


def _rows(database_url: str, query: str, *parameters: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as reader:
        return list(reader.execute(query, parameters).fetchall())


def _answers(url: str, *, status: int = 200) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == status
    except requests.RequestException:
        return False


def _serving(channel: grpc.Channel) -> bool:
    try:
        return health_status(channel) == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def _flower_workers(flower: str) -> set[str]:
    """The queues whose worker Flower sees alive from its events (worker names are
    `<queue>@host`)."""
    try:
        reply = requests.get(
            f"{flower}/api/workers", params={"status": 1}, auth=FLOWER_AUTH, timeout=5
        )
    except requests.RequestException:
        return set()
    if reply.status_code != 200:
        return set()
    return {name.partition("@")[0] for name, alive in reply.json().items() if alive}


def _cryptogram(sandbox: str) -> str:
    card = {"number": CARDS["cloudpayments"]["success"], "exp": "1230", "cvv": "123"}
    reply = requests.post(f"{sandbox}/__sandbox/cp/cryptogram", json=card, timeout=10)
    reply.raise_for_status()
    return str(reply.json()["CardCryptogramPacket"])


def _sign_up(web: str, email: str, password: str) -> str:
    """A new member, signed in: their access token."""
    reply = requests.post(
        f"{web}/api/v1/shop/members/",
        json={"email": email, "password": password, "name": "Stack Member"},
        timeout=STEP_SECONDS,
    )
    assert reply.status_code == 201, reply.text
    return _token(web, email, password)


def _token(web: str, email: str, password: str) -> str:
    reply = requests.post(
        f"{web}/api/v1/auth/token/",
        json={"email": email, "password": password},
        timeout=STEP_SECONDS,
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access"])


def _shop(web: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(
        f"{web}/api/v1/shop/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=STEP_SECONDS,
    )
    assert reply.status_code in (200, 201), reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def _settled(statuses: list[int]) -> bool:
    """Payments there are, and the gateway has answered for each."""
    return bool(statuses) and b.PAYMENT_STATUS_PENDING not in statuses


def _payments(billing: billing_pb2_grpc.BillingServiceStub, kind: int) -> list[int]:
    """The statuses of the member's payments of `kind`, oldest first."""
    reply = billing.ListPayments(b.ListPaymentsRequest(), timeout=STEP_SECONDS)
    return [p.status for p in reversed(reply.payments) if p.kind == kind]
