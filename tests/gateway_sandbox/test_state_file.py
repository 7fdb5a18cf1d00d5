"""The state file (`--state-file`): what one sandbox saved, the next one takes up, so
that saved cards are still charged off-session after a restart of `make run`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from cloudpayments import CloudPayments, CloudPaymentsError
from cloudpayments.models import Transaction
from django.conf import settings

from gateway_sandbox import snapshots
from gateway_sandbox.app import Sandbox
from gateway_sandbox.cloudpayments import notifications
from gateway_sandbox.server import SandboxThread
from tests.gateway_sandbox import cloudpayments_merchant, stripe_merchant
from tests.gateway_sandbox.cloudpayments_merchant import (
    NotificationReceiver,
    configure_notification,
    cryptogram,
    sandbox_now,
)
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
# Luhn-valid, but not one of the sandbox's CloudPayments test cards.
NOT_A_TEST_CARD = "4276550000000003"


@dataclasses.dataclass(frozen=True)
class Running:
    url: str
    sandbox: Sandbox

    @property
    def cloudpayments(self) -> CloudPayments:
        return cloudpayments_merchant.client_for(self.url, self.sandbox)

    def ledger(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/__sandbox/ledger", timeout=5)
        entries: list[dict[str, Any]] = response.json()["entries"]
        return entries


@contextmanager
def running(state_file: Path) -> Iterator[Running]:
    """A sandbox with `state_file`, stopped cleanly (as SIGTERM stops it) at the end."""
    server = SandboxThread(
        dataclasses.replace(SANDBOX_CONFIG, state_file=state_file)
    ).start()
    assert server.sandbox is not None
    try:
        yield Running(server.url, server.sandbox)
    finally:
        server.stop()


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "sandbox-state.json"


@pytest.fixture
def quick_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshots, "SAVE_INTERVAL_SECONDS", 0.05)


def first_payment(client: CloudPayments, **kwargs: Any) -> Transaction:
    """A first payment that binds the card: with AccountId, so a token is issued."""
    return client.charge_card(
        cryptogram("4000000000003055"),
        10,
        "RUB",
        "IVAN PETROV",
        "203.0.113.7",
        account_id="payer-1",
        **kwargs,
    )


def saved_state(state_file: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(state_file.read_text())
    return document["state"]


def saved_tokens(state_file: Path) -> list[str]:
    tokens = saved_state(state_file)["gateways"]["cloudpayments"]["tokens"]
    return [token["token"] for token in tokens]


def saved_payments(state_file: Path) -> int:
    if not state_file.exists():
        return 0
    return len(saved_state(state_file)["gateways"]["cloudpayments"]["transactions"])


def holds_token(state_file: Path, token: str) -> bool:
    return state_file.exists() and token in saved_tokens(state_file)


class TestRestart:
    def test_charges_the_saved_cards_off_session_after_a_clean_stop(
        self, state_file: Path
    ) -> None:
        """A CloudPayments token and a Stripe PaymentMethod saved before a restart are
        charged after it through the SDKs, and the ledger keeps the earlier entries."""
        with running(state_file) as before:
            binding = first_payment(before.cloudpayments, invoice_id="cp-1")
            stripe = stripe_merchant.client_for(before.url)
            customer, payment_method = stripe_merchant.saved_card(
                stripe, "pm_card_visa"
            )
            stripe_merchant.off_session_payment(
                stripe,
                customer=customer,
                payment_method=payment_method,
                metadata={"invoice": "st-1"},
            )

        with running(state_file) as after:
            renewal = after.cloudpayments.charge_token(
                binding.token, "payer-1", 10, "RUB", invoice_id="cp-2"
            )
            stripe_renewal = stripe_merchant.off_session_payment(
                stripe_merchant.client_for(after.url),
                customer=customer,
                payment_method=payment_method,
                metadata={"invoice": "st-2"},
            )
            ledger = after.ledger()

        assert renewal.status == "Completed"
        assert renewal.token == binding.token
        assert renewal.card_last_four == "3055"
        assert stripe_renewal.status == "succeeded"
        assert [(e["gateway"], e["kind"], e["invoice_id"]) for e in ledger] == [
            ("cloudpayments", "capture", "cp-1"),
            ("stripe", "capture", "st-1"),
            ("cloudpayments", "capture", "cp-2"),
            ("stripe", "capture", "st-2"),
        ]

    def test_keeps_customers_payments_and_transactions_readable(
        self, state_file: Path
    ) -> None:
        """What was created before is retrieved after, and ids go on increasing."""
        with running(state_file) as before:
            binding = first_payment(before.cloudpayments, invoice_id="cp-1")
            stripe = stripe_merchant.client_for(before.url)
            customer, payment_method = stripe_merchant.saved_card(
                stripe, "pm_card_visa"
            )
            intent = stripe_merchant.off_session_payment(
                stripe, customer=customer, payment_method=payment_method
            )

        with running(state_file) as after:
            stripe = stripe_merchant.client_for(after.url)
            found = after.cloudpayments.get_transaction(binding.id)
            methods = stripe.v1.customers.payment_methods.list(customer)
            retrieved = stripe.v1.payment_intents.retrieve(intent.id)
            later = first_payment(after.cloudpayments, invoice_id="cp-2")

        assert found.status == "Completed"
        assert found.invoice_id == "cp-1"
        assert [method.id for method in methods.data] == [payment_method]
        assert retrieved.status == "succeeded"
        assert retrieved.amount_received == intent.amount
        assert later.id > binding.id
        assert later.token == binding.token

    def test_replays_an_idempotent_request_made_before_the_restart(
        self, state_file: Path
    ) -> None:
        """A renewal retried with its Idempotency-Key after a restart is not charged
        twice."""
        with running(state_file) as before:
            stripe = stripe_merchant.client_for(before.url)
            customer, payment_method = stripe_merchant.saved_card(
                stripe, "pm_card_visa"
            )
            intent = stripe_merchant.off_session_payment(
                stripe,
                customer=customer,
                payment_method=payment_method,
                idempotency_key="payment-attempt:1",
            )

        with running(state_file) as after:
            retried = stripe_merchant.off_session_payment(
                stripe_merchant.client_for(after.url),
                customer=customer,
                payment_method=payment_method,
                idempotency_key="payment-attempt:1",
            )
            ledger = after.ledger()

        assert retried.id == intent.id
        assert retried.last_response is not None
        assert retried.last_response.headers["Idempotent-Replayed"] == "true"
        assert len(ledger) == 1

    def test_keeps_the_clock_offset(self, state_file: Path) -> None:
        """A clock moved a month ahead is still a month ahead after the restart."""
        with running(state_file) as before:
            cloudpayments_merchant.advance_clock(before.url, 30 * 86400)

        with running(state_file) as after:
            now = sandbox_now(after.url)

        assert now - dt.datetime.now(dt.UTC) > dt.timedelta(days=29)

    def test_sends_the_notifications_left_pending_once_restarted(
        self, state_file: Path
    ) -> None:
        """A Pay notification queued before the stop goes out after the restart, to
        the address configured before, signed as before."""
        with NotificationReceiver() as receiver:
            with running(state_file) as before:
                configure_notification(
                    before.url, before.sandbox, "pay", f"{receiver.url}/pay/"
                )
                requests.post(
                    f"{before.url}/__sandbox/notifications/settings",
                    json={"auto_deliver": False},
                    timeout=5,
                ).raise_for_status()
                binding = first_payment(before.cloudpayments, invoice_id="cp-1")
            nothing_yet = list(receiver.received)

            with running(state_file):
                wait_until(
                    lambda: len(receiver.of_kind("pay")) == 1,
                    message="the restored Pay notification did not arrive",
                )

        assert nothing_yet == []
        [pay] = receiver.of_kind("pay")
        secret = SANDBOX_CONFIG.cloudpayments_api_secret
        assert pay.fields["TransactionId"] == str(binding.id)
        assert pay.fields["Token"] == binding.token
        assert (
            pay.headers["Content-HMAC"]
            == (notifications.sign(pay.body, secret)["Content-HMAC"])
        )

    def test_keeps_webhook_endpoints_registered_at_run_time(
        self, state_file: Path
    ) -> None:
        with running(state_file) as before:
            stripe_merchant.control(
                before.url,
                "/__sandbox/stripe/webhook_endpoints",
                {"url": "http://127.0.0.1:9/hooks/", "secret": "whsec_registered"},
            )

        with running(state_file) as after:
            listed = requests.get(
                f"{after.url}/__sandbox/stripe/webhook_endpoints", timeout=5
            ).json()["endpoints"]
            kept = stripe_merchant.gateway_of(after.sandbox).webhooks.registered()

        assert [e["url"] for e in listed] == ["http://127.0.0.1:9/hooks/"]
        assert [(e.url, e.secret) for e in kept] == [
            ("http://127.0.0.1:9/hooks/", "whsec_registered")
        ]


@pytest.mark.usefixtures("quick_saves")
class TestPeriodicSave:
    def test_saves_a_change_within_seconds_without_a_stop(
        self, state_file: Path, tmp_path: Path
    ) -> None:
        """What a kill -9 would leave behind already holds the token."""
        with running(state_file) as sandbox:
            binding = first_payment(sandbox.cloudpayments)
            wait_until(
                lambda: holds_token(state_file, binding.token),
                message="the state file does not hold the new token",
            )
            left_behind = tmp_path / "left-behind.json"
            shutil.copy(state_file, left_behind)

            with running(left_behind) as after_a_crash:
                renewal = after_a_crash.cloudpayments.charge_token(
                    binding.token, "payer-1", 10, "RUB"
                )

        assert renewal.status == "Completed"

    def test_replaces_the_file_atomically_and_keeps_it_private(
        self, state_file: Path
    ) -> None:
        """Only the state file is left in its directory, readable by its owner only."""
        with running(state_file) as sandbox:
            for payments in range(1, 4):
                first_payment(sandbox.cloudpayments)
                wait_until(
                    lambda: saved_payments(state_file) == payments,  # noqa: B023 - read in this iteration
                    message=f"the state file does not hold {payments} payments",
                )

        assert [p.name for p in state_file.parent.iterdir()] == [state_file.name]
        assert state_file.stat().st_mode & 0o777 == 0o600
        assert saved_state(state_file)["gateways"]["cloudpayments"]["transactions"]


class TestUnreadableFile:
    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (b'{"format": "gateway-sandbox-state", "vers', "is not JSON"),
            (
                b'{"format": "gateway-sandbox-state", "version": 99, "state": {}}',
                "has version 99; this sandbox reads version 1 only",
            ),
            (b'{"customers": []}', "is not a gateway sandbox state file"),
            (
                b'{"format": "gateway-sandbox-state", "version": 1, '
                b'"state": {"clock": {"offset_microseconds": "soon"}}}',
                "state.clock.offset_microseconds must be a whole number",
            ),
        ],
        ids=["corrupt", "unknown-version", "not-a-state-file", "wrong-shape"],
    )
    def test_starts_empty_with_a_warning_and_keeps_the_file_aside(
        self,
        state_file: Path,
        caplog: pytest.LogCaptureFixture,
        content: bytes,
        reason: str,
    ) -> None:
        state_file.write_bytes(content)

        with (
            caplog.at_level(logging.WARNING, logger="gateway_sandbox.app"),
            running(state_file) as sandbox,
        ):
            ledger = sandbox.ledger()

        [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert reason in warning.getMessage()
        assert "starting empty" in warning.getMessage()
        assert ledger == []
        rejected = state_file.with_name(state_file.name + ".rejected")
        assert rejected.read_bytes() == content
        assert saved_state(state_file)["ledger"] == []

    def test_refuses_a_state_whole_when_one_part_is_wrong(
        self, state_file: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """No half-restored sandbox: a bad ledger entry leaves the tokens out too."""
        with running(state_file) as before:
            binding = first_payment(before.cloudpayments)
        document = json.loads(state_file.read_text())
        document["state"]["ledger"][0]["amount_minor"] = "1000"
        state_file.write_text(json.dumps(document))

        with (
            caplog.at_level(logging.WARNING, logger="gateway_sandbox.app"),
            running(state_file) as after,
            pytest.raises(CloudPaymentsError, match="Token not found"),
        ):
            after.cloudpayments.charge_token(binding.token, "payer-1", 10, "RUB")

        assert "state.ledger[0].amount_minor must be a whole number" in caplog.text


class TestReset:
    @pytest.mark.usefixtures("quick_saves")
    def test_empties_the_state_file_at_once(self, state_file: Path) -> None:
        """After a reset, not even a kill -9 brings the forgotten cards back."""
        with running(state_file) as sandbox:
            binding = first_payment(sandbox.cloudpayments)
            wait_until(
                lambda: holds_token(state_file, binding.token),
                message="the state file does not hold the new token",
            )
            requests.post(f"{sandbox.url}/__sandbox/reset", timeout=5)
            left_behind = saved_state(state_file)
        with (
            running(state_file) as after,
            pytest.raises(CloudPaymentsError, match="Token not found"),
        ):
            after.cloudpayments.charge_token(binding.token, "payer-1", 10, "RUB")

        cloudpayments = left_behind["gateways"]["cloudpayments"]
        assert cloudpayments["tokens"] == []
        assert cloudpayments["transactions"] == []
        assert left_behind["ledger"] == []


class TestCardData:
    def test_writes_no_cvv_and_masks_numbers_outside_the_test_cards(
        self, state_file: Path
    ) -> None:
        with running(state_file) as sandbox:
            first_payment(sandbox.cloudpayments)
            with pytest.raises(CloudPaymentsError):
                sandbox.cloudpayments.charge_card(
                    cryptogram(NOT_A_TEST_CARD), 10, "RUB", "IVAN PETROV", "203.0.113.7"
                )

        cloudpayments = saved_state(state_file)["gateways"]["cloudpayments"]
        cards = [t["card"] for t in cloudpayments["transactions"]]
        cards += [t["card"] for t in cloudpayments["tokens"]]
        assert all("cvv" not in card for card in cards)
        assert {card["number"] for card in cards} == {
            "4000000000003055",
            "427655******0003",
        }
        assert NOT_A_TEST_CARD not in state_file.read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestCommand:
    def test_saves_the_state_on_sigterm(self, state_file: Path) -> None:
        """`gateway_sandbox --state-file` as `make run` starts and stops it."""
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "gateway_sandbox",
                "--port",
                str(port),
                "--notify-url",
                "",
                "--state-file",
                str(state_file),
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: _answers(f"{url}/__sandbox/health"),
                timeout=30,
                message="the gateway_sandbox command did not answer on its port",
            )
            client = CloudPayments(
                settings.CLOUDPAYMENTS_PUBLIC_ID, settings.CLOUDPAYMENTS_API_SECRET
            )
            client.URL = f"{url}/"
            binding = first_payment(client)

            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0].decode()
        finally:
            if process.poll() is None:
                process.kill()

        assert process.returncode == 0, output
        assert f"Sandbox state kept in {state_file}" in output
        assert saved_tokens(state_file) == [binding.token]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=0.5).ok
    except requests.ConnectionError:
        return False
