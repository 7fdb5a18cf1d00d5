"""Malformed requests get the envelope with a clear Message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from cloudpayments import CloudPayments, CloudPaymentsError, PaymentError

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    api_post,
    cryptogram,
    gateway_of,
)

CARD = cryptogram("4000000000003055")
PAYMENT = {"Amount": 10, "IpAddress": "203.0.113.7", "CardCryptogramPacket": CARD}


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("payments/cards/charge", {}, "Amount is required"),
        ("payments/cards/charge", {**PAYMENT, "Amount": "abc"}, "Invalid Amount value"),
        ("payments/cards/charge", {**PAYMENT, "Amount": True}, "Invalid Amount value"),
        (
            "payments/cards/charge",
            {**PAYMENT, "Amount": -1},
            "Invalid Amount value: the minimum is 0.01",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "Amount": 0},
            "Invalid Amount value: the minimum is 0.01",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "Amount": 0.001},
            "Invalid Amount value: the minimum is 0.01",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "Amount": 10.001},
            "Invalid Amount value: at most 2 decimal places",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "Currency": "XYZ"},
            "Invalid Currency value",
        ),
        ("payments/cards/auth", {**PAYMENT, "IpAddress": ""}, "IpAddress is required"),
        (
            "payments/cards/charge",
            {"Amount": 10, "IpAddress": "203.0.113.7"},
            "CardCryptogramPacket is required",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "CardCryptogramPacket": "01492500008719030128SM"},
            "Invalid CardCryptogramPacket",
        ),
        (
            "payments/cards/charge",
            {**PAYMENT, "CardCryptogramPacket": "sbx1:not-base64-json"},
            "Invalid CardCryptogramPacket",
        ),
        (
            "payments/tokens/charge",
            {"Amount": 1, "Token": "tk_x"},
            "AccountId is required",
        ),
        ("payments/tokens/auth", {"Amount": 1, "AccountId": "a"}, "Token is required"),
        (
            "payments/tokens/charge",
            {"Amount": 1, "AccountId": "a", "Token": "tk_x", "TrInitiatorCode": 5},
            "Invalid TrInitiatorCode value",
        ),
        ("payments/get", {}, "TransactionId is required"),
        ("payments/get", {"TransactionId": "abc"}, "Invalid TransactionId value"),
        ("payments/get", {"TransactionId": 42}, "Not found"),
        ("payments/confirm", {"TransactionId": 42, "Amount": 1}, "Not found"),
        ("payments/confirm", {"TransactionId": 42}, "Amount is required"),
        ("payments/void", {"TransactionId": 42}, "Not found"),
        ("payments/refund", {"TransactionId": 42, "Amount": 1}, "Not found"),
        ("payments/find", {}, "InvoiceId is required"),
        ("payments/find", {"InvoiceId": "never-paid"}, "Not found"),
        ("v2/payments/find", {"InvoiceId": "never-paid"}, "Not found"),
        ("payments/list", {}, "Date is required"),
        ("payments/list", {"Date": "2030-13-01"}, "Invalid Date value"),
        (
            "payments/list",
            {"Date": "2030-01-01", "TimeZone": "Mars"},
            "Invalid TimeZone value",
        ),
        ("subscriptions/create", {}, "Token is required"),
        ("subscriptions/get", {"Id": "sc_missing"}, "Not found"),
        ("subscriptions/update", {"Id": "sc_missing", "Amount": 5}, "Not found"),
        ("subscriptions/find", {}, "AccountId is required"),
        ("subscriptions/cancel", {}, "Id is required"),
    ],
)
def test_answers_the_envelope_with_a_message(
    sandbox_url: str,
    sandbox: Sandbox,
    path: str,
    payload: dict[str, Any],
    message: str,
) -> None:
    response = api_post(sandbox_url, sandbox, path, payload)

    assert response.status_code == 200
    assert response.json() == {"Success": False, "Message": message}
    assert gateway_of(sandbox).transport.internal_errors == []


class TestMalformedBodies:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b'{"Amount": 10,', "Invalid JSON in the request body"),
            (b"[1, 2]", "The request body must be a JSON object"),
            (b"\xff\xfe", "The request body must be UTF-8"),
        ],
    )
    def test_an_unreadable_body_is_a_bad_request(
        self, sandbox_url: str, sandbox: Sandbox, body: bytes, message: str
    ) -> None:
        response = requests.post(
            f"{sandbox_url}/payments/cards/charge",
            data=body,
            headers={"Content-Type": "application/json"},
            auth=(
                sandbox.config.cloudpayments_public_id,
                sandbox.config.cloudpayments_api_secret,
            ),
            timeout=5,
        )

        assert response.status_code == 200
        assert response.json() == {"Success": False, "Message": message}

    def test_an_unknown_path_is_404_not_500(self, sandbox_url: str) -> None:
        response = requests.post(f"{sandbox_url}/payments/unknown", timeout=5)

        assert response.status_code == 404


class TestThroughTheSdk:
    def test_an_amount_the_sdk_passes_through_is_refused(
        self, client: CloudPayments
    ) -> None:
        with pytest.raises(CloudPaymentsError, match="Invalid Amount value") as caught:
            client.charge_card(CARD, "abc", "RUB", "IVAN", "203.0.113.7")

        assert "Model" not in caught.value.response

    def test_an_unknown_transaction_cannot_be_fetched(
        self, client: CloudPayments
    ) -> None:
        with pytest.raises(CloudPaymentsError, match="Not found"):
            client.get_transaction(123)

    @pytest.mark.parametrize("call", ["confirm", "void", "refund"])
    def test_an_unknown_transaction_cannot_be_changed(
        self, client: CloudPayments, call: str
    ) -> None:
        actions = {
            "confirm": lambda: client.confirm_payment(123, 10),
            "void": lambda: client.void_payment(123),
            "refund": lambda: client.refund(123, 10),
        }

        with pytest.raises(CloudPaymentsError, match="Not found"):
            actions[call]()

    def test_a_post3ds_without_a_transaction_id_still_has_a_model(
        self, client: CloudPayments
    ) -> None:
        """The SDK always builds PaymentError, so even nonsense gets a Model."""
        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication("not-a-number", "x")

        assert caught.value.reason_code == 5206
        assert caught.value.transaction_id is None

    def test_integer_fields_given_fractions_are_rounded(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        payment = client.charge_card(CARD, 10, "RUB", "IVAN", "203.0.113.7")

        response = api_post(
            sandbox_url, sandbox, "payments/get", {"TransactionId": payment.id + 0.4}
        )

        assert response.json()["Model"]["TransactionId"] == payment.id
