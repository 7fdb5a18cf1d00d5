"""The shipping partner's API: a shipment registered once per idempotency key, and
every bad request refused with a 4xx that names what is wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from gateway_sandbox.snapshots import Record, StateFile
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.shipping_merchant import (
    API_KEY,
    register,
    registered,
    shipment_body,
)

pytestmark = pytest.mark.sandbox


class TestRegistration:
    def test_registers_a_shipment(self, shipping_partner: str) -> None:
        body = shipment_body()

        response = register(shipping_partner, body, key="shipment:1")

        assert response.status_code == 201
        shipment = response.json()
        assert shipment["shipment_id"].startswith("shp_")
        assert shipment["tracking_number"].startswith("SBX")
        assert shipment["reference"] == body["reference"]
        assert shipment["status"] == "registered"
        assert dt.datetime.fromisoformat(shipment["created"]).tzinfo is not None
        assert shipment["expected_arrival"] == "2030-01-15"
        assert shipment["items"] == body["items"]
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}

    def test_answers_the_same_key_with_the_first_shipment(
        self, shipping_partner: str
    ) -> None:
        body = shipment_body()
        first = register(shipping_partner, body, key="shipment:1")

        again = register(shipping_partner, body, key="shipment:1")

        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}

    def test_takes_the_same_body_spelt_otherwise_as_the_same_request(
        self, shipping_partner: str
    ) -> None:
        """The decoded body counts, not its bytes: key order and spacing differ."""
        body = shipment_body()
        first = register(shipping_partner, body, key="shipment:1")
        reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)

        again = requests.post(
            f"{shipping_partner}/shipping/v1/shipments",
            data=reordered,
            headers={
                "Authorization": f"Bearer {API_KEY}",
                "Idempotency-Key": "shipment:1",
                "Content-Type": "application/json",
            },
            timeout=10,
        )

        assert again.status_code == 200
        assert again.json()["shipment_id"] == first.json()["shipment_id"]

    def test_refuses_the_same_key_with_another_body(
        self, shipping_partner: str
    ) -> None:
        body = shipment_body()
        register(shipping_partner, body, key="shipment:1")

        conflict = register(
            shipping_partner,
            {**body, "expected_arrival": "2030-01-16"},
            key="shipment:1",
        )

        assert conflict.status_code == 409
        assert conflict.json()["error"]["code"] == "idempotency_key_reused"
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}

    def test_registers_again_under_another_key(self, shipping_partner: str) -> None:
        """Once per key, not per reference: the client's key is what protects it."""
        body = shipment_body()

        register(shipping_partner, body, key="shipment:1")
        register(shipping_partner, body, key="shipment:2")

        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 2}

    def test_lists_the_registrations_of_a_reference(
        self, shipping_partner: str
    ) -> None:
        mine = register(shipping_partner, shipment_body(), key="shipment:1").json()
        register(shipping_partner, shipment_body(), key="shipment:2")

        response = requests.get(
            f"{shipping_partner}/shipping/v1/shipments",
            params={"reference": mine["reference"]},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )

        assert response.status_code == 200
        assert response.json() == {"shipments": [mine]}

    def test_reset_forgets_shipments_and_keys(self, shipping_partner: str) -> None:
        body = shipment_body()
        register(shipping_partner, body, key="shipment:1")

        requests.post(
            f"{shipping_partner}/__sandbox/reset", timeout=10
        ).raise_for_status()
        again = register(shipping_partner, body, key="shipment:1")

        assert again.status_code == 201
        assert registered(shipping_partner)["per_reference"] == {body["reference"]: 1}


class TestRefusals:
    @pytest.mark.parametrize(
        "api_key", [None, "ship_test_someone-else", "sk_test_conformance"]
    )
    def test_refuses_any_key_but_its_own(
        self, shipping_partner: str, api_key: str | None
    ) -> None:
        response = register(
            shipping_partner, shipment_body(), key="shipment:1", api_key=api_key
        )

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert registered(shipping_partner)["shipments"] == []

    def test_refuses_basic_auth_with_its_key(self, shipping_partner: str) -> None:
        response = requests.post(
            f"{shipping_partner}/shipping/v1/shipments",
            json=shipment_body(),
            auth=(API_KEY, ""),
            headers={"Idempotency-Key": "shipment:1"},
            timeout=10,
        )

        assert response.status_code == 401

    def test_refuses_to_list_for_another_key(self, shipping_partner: str) -> None:
        response = requests.get(f"{shipping_partner}/shipping/v1/shipments", timeout=10)

        assert response.status_code == 401

    def test_requires_an_idempotency_key(self, shipping_partner: str) -> None:
        response = register(shipping_partner, shipment_body(), key=None)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "idempotency_key_missing"
        assert registered(shipping_partner)["shipments"] == []

    def test_refuses_an_overlong_idempotency_key(self, shipping_partner: str) -> None:
        response = register(shipping_partner, shipment_body(), key="k" * 256)

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "idempotency_key_invalid"

    @pytest.mark.parametrize(
        ("change", "param"),
        [
            ({"reference": ""}, "reference"),
            ({"reference": 42}, "reference"),
            ({"reference": "r" * 256}, "reference"),
            ({"recipient": "Ann"}, "recipient"),
            ({"recipient": {"name": "Ann"}}, "recipient.email"),
            ({"recipient": {"name": "Ann", "email": "ann"}}, "recipient.email"),
            ({"recipient": {"name": " ", "email": "a@b.example"}}, "recipient.name"),
            (
                {"recipient": {"name": "A", "email": "a@b.example", "phone": "1"}},
                "recipient.phone",
            ),
            ({"items": []}, "items"),
            ({"items": "Mars"}, "items"),
            ({"items": [{"name": "Mars"}]}, "items[0].quantity"),
            ({"items": [{"name": "Mars", "quantity": 0}]}, "items[0].quantity"),
            ({"items": [{"name": "Mars", "quantity": "2"}]}, "items[0].quantity"),
            ({"items": [{"name": "Mars", "quantity": True}]}, "items[0].quantity"),
            ({"items": [{"name": "Mars", "quantity": 1.5}]}, "items[0].quantity"),
            ({"items": [{"name": "", "quantity": 1}]}, "items[0].name"),
            ({"expected_arrival": "2030-13-01"}, "expected_arrival"),
            ({"expected_arrival": "20300101"}, "expected_arrival"),
            ({"expected_arrival": "15.01.2030"}, "expected_arrival"),
            ({"expected_arrival": None}, "expected_arrival"),
            ({"carrier": "fast"}, "carrier"),
        ],
    )
    def test_refuses_a_bad_field_naming_it(
        self, shipping_partner: str, change: dict[str, Any], param: str
    ) -> None:
        response = register(shipping_partner, shipment_body(**change), key="shipment:1")

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["param"] == param
        assert param in error["message"]
        assert registered(shipping_partner)["shipments"] == []

    def test_refuses_a_missing_field(self, shipping_partner: str) -> None:
        body = shipment_body()
        del body["expected_arrival"]

        response = register(shipping_partner, body, key="shipment:1")

        assert response.status_code == 400
        assert response.json()["error"]["message"] == "expected_arrival is required"

    @pytest.mark.parametrize("raw", [b"", b"{not json", b"[]", b'"order"', b"[" * 5000])
    def test_refuses_a_body_that_is_not_a_json_object(
        self, shipping_partner: str, raw: bytes
    ) -> None:
        response = requests.post(
            f"{shipping_partner}/shipping/v1/shipments",
            data=raw,
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "k"},
            timeout=10,
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"

    def test_a_refused_body_leaves_its_key_unused(self, shipping_partner: str) -> None:
        """Nothing was registered, so the corrected request runs afresh."""
        register(shipping_partner, shipment_body(items=[]), key="shipment:1")

        corrected = register(shipping_partner, shipment_body(), key="shipment:1")

        assert corrected.status_code == 201

    def test_answers_an_unknown_path_and_method_in_its_error_shape(
        self, shipping_partner: str
    ) -> None:
        missing = requests.get(f"{shipping_partner}/shipping/v1/parcels", timeout=10)
        wrong_method = requests.delete(
            f"{shipping_partner}/shipping/v1/shipments", timeout=10
        )

        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["code"] == "method_not_allowed"
        assert wrong_method.headers["Allow"] == "GET, POST"


class TestStateFile:
    def test_a_restart_keeps_shipments_and_their_keys(
        self, shipping_partner: str, sandbox: Sandbox, tmp_path: Path
    ) -> None:
        """A retry after a restart of `make run` still registers the order once."""
        body = shipment_body()
        first = register(shipping_partner, body, key="shipment:1").json()
        state_file = tmp_path / "sandbox-state.json"
        StateFile(state_file).save(sandbox.snapshot())

        restarted = SandboxThread(
            dataclasses.replace(SANDBOX_CONFIG, state_file=state_file)
        ).start()
        try:
            again = register(restarted.url, body, key="shipment:1")
            count = registered(restarted.url)["per_reference"]
        finally:
            restarted.stop()

        assert again.status_code == 200
        assert again.json()["shipment_id"] == first["shipment_id"]
        assert count == {body["reference"]: 1}

    def test_reads_a_state_saved_before_the_partner_existed(self) -> None:
        older = Sandbox(SANDBOX_CONFIG)
        state = older.snapshot()
        del state["shipping"]

        restored = Sandbox(SANDBOX_CONFIG)
        restored.restore(Record(state, "state"))

        assert restored.shipping.book.shipments() == []
