"""The shipping partner's knobs: failures, rate limits and timeouts in exact shares,
reproducible with a seed, and never a second registration for one key."""

from __future__ import annotations

import collections
import math
import time

import pytest
import requests
from django.core.management import CommandError, call_command

from gateway_sandbox.app import Sandbox, SandboxConfig
from gateway_sandbox.shipping.faults import ShippingFaults
from tests.gateway_sandbox.shipping_merchant import (
    register,
    registered,
    set_shipping_faults,
    shipment_body,
    shipping_stats,
)

pytestmark = pytest.mark.sandbox

CALLS = 1_000


def _statuses(sandbox_url: str, calls: int) -> list[int]:
    """The status of each of `calls` registrations of new orders."""
    with requests.Session() as session:
        return [
            register(
                sandbox_url, body, key=body["reference"], session=session
            ).status_code
            for body in (shipment_body() for _ in range(calls))
        ]


def _about(count: int, share: float, calls: int) -> bool:
    """Whether `count` of `calls` is within four standard deviations of `share`."""
    spread = 4 * math.sqrt(calls * share * (1 - share))
    return abs(count - calls * share) <= spread


class TestKnobs:
    def test_start_at_nothing_going_wrong(self, shipping_partner: str) -> None:
        response = requests.get(
            f"{shipping_partner}/__sandbox/shipping/faults", timeout=10
        )

        assert response.json() == ShippingFaults().as_json()
        assert response.json()["failure_rate"] == 0

    def test_change_all_or_nothing(self, shipping_partner: str) -> None:
        url = f"{shipping_partner}/__sandbox/shipping/faults"

        refusals = [
            requests.post(url, json=knobs, timeout=10)
            for knobs in (
                {"failure_rate": 0.2, "timeout_rate": 1.5},
                {"failure_rate": 0.6, "timeout_rate": 0.5},
                {"failure_rate": 0.1, "latency_ms": 5},
                {"seed": "seven"},
                {"timeout_seconds": -1},
            )
        ]

        assert [r.status_code for r in refusals] == [400] * 5
        assert "at most 1" in refusals[1].json()["error"]
        assert requests.get(url, timeout=10).json() == ShippingFaults().as_json()

    def test_leave_the_gateways_knobs_alone(self, shipping_partner: str) -> None:
        set_shipping_faults(shipping_partner, failure_rate=1)

        gateways = requests.get(f"{shipping_partner}/__sandbox/faults", timeout=10)

        assert gateways.json()["error_rate"] == 0

    def test_go_back_to_their_start_values_on_reset(self) -> None:
        sandbox = Sandbox(SandboxConfig(shipping_faults={"failure_rate": 0.25}))
        sandbox.shipping.change_faults({"failure_rate": 1, "seed": 3})

        sandbox.reset()

        assert sandbox.shipping.faults.failure_rate == 0.25
        assert sandbox.shipping.faults.seed is None

    def test_the_command_refuses_a_bad_value_before_serving(self) -> None:
        with pytest.raises(CommandError, match="shipping failure_rate is a prob"):
            call_command(
                "gateway_sandbox",
                "--port",
                "0",
                "--notify-url",
                "",
                "--shipping-failure-rate",
                "2",
            )


class TestShares:
    def test_split_a_thousand_calls_as_the_knobs_say(
        self, shipping_partner: str
    ) -> None:
        set_shipping_faults(
            shipping_partner,
            failure_rate=0.2,
            rate_limit_rate=0.1,
            timeout_rate=0.1,
            timeout_seconds=0,
            seed=1234,
        )

        statuses = collections.Counter(_statuses(shipping_partner, CALLS))

        stats = shipping_stats(shipping_partner)
        timed_out = stats["timed_out"] + stats["timed_out_carried_out"]
        assert stats["requests"] == CALLS
        assert _about(statuses[503], 0.2, CALLS)
        assert _about(statuses[429], 0.1, CALLS)
        assert _about(timed_out, 0.1, CALLS)
        assert _about(stats["timed_out_carried_out"], 0.5, timed_out)
        # Held for 0 s: the carried-out ones answer late, the others 504.
        assert statuses[504] == stats["timed_out"]
        assert (
            statuses[201]
            == stats["registered"]
            == len(registered(shipping_partner)["shipments"])
        )

    def test_repeat_with_the_same_seed(self, shipping_partner: str) -> None:
        knobs = {"failure_rate": 0.3, "rate_limit_rate": 0.1, "timeout_rate": 0.2}
        set_shipping_faults(shipping_partner, **knobs, timeout_seconds=0, seed=7)
        first = _statuses(shipping_partner, 200)
        requests.post(
            f"{shipping_partner}/__sandbox/reset", timeout=10
        ).raise_for_status()

        set_shipping_faults(shipping_partner, **knobs, timeout_seconds=0, seed=7)
        second = _statuses(shipping_partner, 200)

        assert second == first
        assert set(first) == {201, 429, 503, 504}

    def test_giving_the_seed_again_starts_the_sequence_again(
        self, shipping_partner: str
    ) -> None:
        set_shipping_faults(shipping_partner, failure_rate=0.5, seed=11)
        first = _statuses(shipping_partner, 50)

        set_shipping_faults(shipping_partner, seed=11)
        second = _statuses(shipping_partner, 50)

        assert second == first


class TestFailures:
    def test_a_failure_does_nothing_and_the_retry_registers(
        self, shipping_partner: str
    ) -> None:
        body = shipment_body()
        set_shipping_faults(shipping_partner, failure_rate=1)

        failed = register(shipping_partner, body, key="shipment:1")
        set_shipping_faults(shipping_partner, failure_rate=0)
        retried = register(shipping_partner, body, key="shipment:1")

        assert failed.status_code == 503
        assert failed.json()["error"]["code"] == "unavailable"
        assert retried.status_code == 201
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}

    def test_a_rate_limit_says_when_to_come_back(self, shipping_partner: str) -> None:
        set_shipping_faults(shipping_partner, rate_limit_rate=1)

        limited = register(shipping_partner, shipment_body(), key="shipment:1")

        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        assert registered(shipping_partner)["shipments"] == []

    def test_the_knobs_strike_listings_too(self, shipping_partner: str) -> None:
        set_shipping_faults(shipping_partner, failure_rate=1)

        response = requests.get(f"{shipping_partner}/shipping/v1/shipments", timeout=10)

        assert response.status_code == 503


def _time_out(
    sandbox_url: str, body: dict[str, object], *, carried_out: bool, hold: float
) -> None:
    """A registration of `body` that the client gives up on after 0.1 s, held by
    the partner for `hold` seconds; then the partner answers in time again."""
    set_shipping_faults(
        sandbox_url,
        timeout_rate=1,
        timeout_registered_rate=1 if carried_out else 0,
        timeout_seconds=hold,
    )
    with pytest.raises(requests.Timeout):
        register(sandbox_url, body, key="shipment:1", timeout=0.1)
    set_shipping_faults(sandbox_url, timeout_rate=0)


class TestTimeouts:
    def test_a_registered_timeout_loses_the_reply_and_the_retry_replays(
        self, shipping_partner: str
    ) -> None:
        """The partner did the work; the retry, during the hold, learns of it."""
        body = shipment_body()

        _time_out(shipping_partner, body, carried_out=True, hold=2)
        done_meanwhile = registered(shipping_partner)["per_reference"]
        retried = register(shipping_partner, body, key="shipment:1")

        assert done_meanwhile == {body["reference"]: 1}
        assert retried.status_code == 200
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}

    def test_an_unregistered_timeout_answers_504_after_the_hold(
        self, shipping_partner: str
    ) -> None:
        set_shipping_faults(
            shipping_partner,
            timeout_rate=1,
            timeout_registered_rate=0,
            timeout_seconds=0.3,
        )
        started = time.monotonic()

        response = register(shipping_partner, shipment_body(), key="shipment:1")

        assert time.monotonic() - started >= 0.3
        assert response.status_code == 504
        assert response.json()["error"]["code"] == "timeout"
        assert registered(shipping_partner)["shipments"] == []

    def test_a_retry_during_an_unregistered_hold_registers_once(
        self, shipping_partner: str
    ) -> None:
        """The held call did nothing and does nothing when its hold ends."""
        body = shipment_body()

        _time_out(shipping_partner, body, carried_out=False, hold=0.5)
        retried = register(shipping_partner, body, key="shipment:1")
        time.sleep(0.6)

        assert retried.status_code == 201
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}
