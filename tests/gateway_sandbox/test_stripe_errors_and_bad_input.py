# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""Errors (GATEWAYS.md C2), authentication and the form encoding (C1): bad input is a
Stripe error, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import client_for, gateway_of, set_faults

pytestmark = pytest.mark.sandbox

SECRET_KEY = SANDBOX_CONFIG.stripe_secret_key


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def raw(
    sandbox_url: str,
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    authorized: bool = True,
) -> requests.Response:
    """A request the SDK would never send, with the secret key as Bearer auth."""
    all_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **(headers or {}),
    }
    if authorized:
        all_headers.setdefault("Authorization", f"Bearer {SECRET_KEY}")
    return requests.request(
        method, f"{sandbox_url}{path}", data=body, headers=all_headers, timeout=10
    )


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    return error


class TestAuthentication:
    def test_missing_key_is_a_401_explaining_bearer_auth(
        self, sandbox_url: str
    ) -> None:
        response = raw(sandbox_url, "GET", "/v1/customers", authorized=False)

        assert response.status_code == 401
        assert "did not provide an API key" in error_of(response)["message"]

    def test_wrong_key_is_masked_in_the_message(self, sandbox_url: str) -> None:
        stranger = client_for(sandbox_url, api_key="sk_test_stolen_key_5678")

        with pytest.raises(stripe.AuthenticationError) as raised:
            stranger.v1.customers.list()

        message = str(raised.value.user_message)
        assert "sk_test_****5678" in message
        assert "stolen" not in message

    def test_basic_auth_with_the_key_as_username_is_accepted(
        self, sandbox_url: str
    ) -> None:
        response = requests.get(
            f"{sandbox_url}/v1/customers", auth=(SECRET_KEY, ""), timeout=10
        )

        assert response.status_code == 200
        assert response.json()["object"] == "list"


class TestResponseConventions:
    def test_request_id_and_version_echo_on_success_and_error(
        self, sandbox_url: str
    ) -> None:
        headers = {"Stripe-Version": "2020-08-27"}

        ok = raw(sandbox_url, "GET", "/v1/customers", headers=headers)
        missing = raw(sandbox_url, "GET", "/v1/customers/cus_nope", headers=headers)

        for response in (ok, missing):
            assert response.headers["Request-Id"].startswith("req_")
            assert response.headers["Stripe-Version"] == "2020-08-27"
        assert ok.headers["Request-Id"] != missing.headers["Request-Id"]
        assert error_of(missing)["code"] == "resource_missing"
        assert error_of(missing)["request_log_url"].endswith(
            missing.headers["Request-Id"]
        )

    def test_unrecognized_urls_and_methods_are_json_404s(
        self, sandbox_url: str
    ) -> None:
        unknown = raw(sandbox_url, "GET", "/v1/subscriptions_of_the_future")
        wrong_method = raw(sandbox_url, "DELETE", "/v1/payment_intents/pi_x")

        for response in (unknown, wrong_method):
            assert response.status_code == 404
            assert "Unrecognized request URL" in error_of(response)["message"]


class TestParameters:
    def test_unknown_parameters_are_named(self, client: stripe.StripeClient) -> None:
        unknown_top: Any = {"favourite_colour": "blue"}
        unknown_nested: Any = {
            "type": "card",
            "card": {
                "number": "4242424242424242",
                "exp_month": 1,
                "exp_year": 2030,
                "colour": "red",
            },
        }

        with pytest.raises(stripe.InvalidRequestError) as top:
            client.v1.customers.create(params=unknown_top)
        with pytest.raises(stripe.InvalidRequestError) as nested:
            client.v1.payment_methods.create(params=unknown_nested)

        assert (top.value.code, top.value.param) == (
            "parameter_unknown",
            "favourite_colour",
        )
        assert (nested.value.code, nested.value.param) == (
            "parameter_unknown",
            "card[colour]",
        )

    def test_missing_required_parameter(self, client: stripe.StripeClient) -> None:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.create(params={"currency": "usd"})  # type: ignore[typeddict-item]

        assert (raised.value.code, raised.value.param) == (
            "parameter_missing",
            "amount",
        )
        assert raised.value.user_message == "Missing required param: amount."

    @pytest.mark.parametrize(
        ("body", "code", "param"),
        [
            ("amount=ten&currency=usd", "parameter_invalid_integer", "amount"),
            ("amount=12.5&currency=usd", "parameter_invalid_integer", "amount"),
            ("amount=10&currency=usd", "amount_too_small", "amount"),
            ("amount=29&currency=gbp", "amount_too_small", "amount"),
            ("amount=100000000&currency=usd", "amount_too_large", "amount"),
            ("amount=1000&currency=xyz", None, "currency"),
            ("amount=1000&currency=usd&confirm=maybe", None, "confirm"),
            ("amount=1000&currency=usd&off_session=true", None, "off_session"),
            ("amount=1000&currency=usd&metadata=flat&metadata[k]=v", None, "metadata"),
            ("amount=1000&currency=usd&expand[0]=secrets", None, "expand"),
            ("amount=1000&currency=usd&capture_method=later", None, "capture_method"),
        ],
    )
    def test_bad_values_are_400s_naming_the_parameter(
        self, sandbox_url: str, body: str, code: str | None, param: str
    ) -> None:
        response = raw(sandbox_url, "POST", "/v1/payment_intents", body=body)

        assert response.status_code == 400
        error = error_of(response)
        assert error["type"] == "invalid_request_error"
        assert error.get("code") == code
        assert error["param"] == param

    def test_minimum_amounts_follow_the_currency(
        self, client: stripe.StripeClient
    ) -> None:
        pounds = client.v1.payment_intents.create(
            params={"amount": 30, "currency": "gbp"}
        )
        yen = client.v1.payment_intents.create(params={"amount": 50, "currency": "JPY"})

        assert (pounds.amount, pounds.currency) == (30, "gbp")
        assert yen.currency == "jpy"

    def test_bracket_spellings_decode_alike(self, sandbox_url: str) -> None:
        """Literal, percent-encoded and `[]` brackets all give the same parameters."""
        body = (
            "metadata%5Border%5D=42&metadata[plan]=gold&preferred_locales[]=en"
            "&preferred_locales[]=fr&name=Ann+Lee&description=50%25+off"
        )

        created = raw(sandbox_url, "POST", "/v1/customers", body=body).json()
        listed = raw(
            sandbox_url,
            "GET",
            f"/v1/customers?created%5Bgte%5D={created['created']}&limit=1",
        ).json()

        assert created["metadata"] == {"order": "42", "plan": "gold"}
        assert created["preferred_locales"] == ["en", "fr"]
        assert (created["name"], created["description"]) == ("Ann Lee", "50% off")
        assert [c["id"] for c in listed["data"]] == [created["id"]]

    def test_older_clients_payment_method_types_are_accepted(
        self, sandbox_url: str
    ) -> None:
        """`payment_method_types[]=card` (pre-16 SDKs) turns automatic methods off."""
        legacy = raw(
            sandbox_url,
            "POST",
            "/v1/payment_intents",
            body="amount=1000&currency=usd&payment_method_types[]=card",
        ).json()
        default = raw(
            sandbox_url, "POST", "/v1/payment_intents", body="amount=1000&currency=usd"
        ).json()

        assert legacy["payment_method_types"] == ["card"]
        assert legacy["automatic_payment_methods"] is None
        assert default["automatic_payment_methods"] == {
            "allow_redirects": "always",
            "enabled": True,
        }

    @pytest.mark.parametrize(
        ("body", "headers"),
        [
            (b'{"email": "a@b.c"}', {"Content-Type": "application/json"}),
            (b"email=a&email[x]=b", {}),
            (b"email[x]=b&email=a", {}),
            (b"email=%ff%fe", {}),
            (b"\xff\xfe=1", {}),
            (b"a]b=1", {}),
            (b"limit=5", {}),
        ],
    )
    def test_malformed_bodies_are_json_400s(
        self, sandbox_url: str, body: bytes, headers: dict[str, str]
    ) -> None:
        response = raw(sandbox_url, "POST", "/v1/customers", body=body, headers=headers)

        assert response.status_code == 400
        assert error_of(response)["type"] == "invalid_request_error"

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(body=st.binary(max_size=80) | st.text(alphabet="ab[]=&%5BD0x+", max_size=40))
    def test_arbitrary_bodies_never_break_the_server(
        self, sandbox_url: str, sandbox: Sandbox, body: bytes | str
    ) -> None:
        set_faults(sandbox_url, stripe_requests_per_second=0)

        response = raw(sandbox_url, "POST", "/v1/payment_intents", body=body)

        assert response.status_code == 400
        assert error_of(response)["type"] == "invalid_request_error"
        assert gateway_of(sandbox).internal_errors == []


class TestUnexpectedFailures:
    def test_an_internal_error_is_an_api_error_saved_for_replay(
        self, client: stripe.StripeClient, sandbox: Sandbox
    ) -> None:
        """The reply is Stripe's api_error 500; retrying the key replays it."""
        gateway = gateway_of(sandbox)
        events = gateway.state.events
        gateway.state.events = None  # type: ignore[assignment]
        try:
            with pytest.raises(stripe.APIError) as first:
                client.v1.customers.create(options={"idempotency_key": "boom"})
            with pytest.raises(stripe.APIError) as again:
                client.v1.customers.create(options={"idempotency_key": "boom"})
        finally:
            gateway.state.events = events
            recorded = list(gateway.internal_errors)
            gateway.internal_errors.clear()

        assert first.value.http_status == 500
        assert first.value.error.type == "api_error"
        assert first.value.headers["Stripe-Should-Retry"] == "false"
        assert again.value.headers["Idempotent-Replayed"] == "true"
        assert recorded == ["POST /v1/customers"]
