"""POST /api/v1/checkout-sessions/: a page for an amount, or one that starts a plan."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.models import Invoice, Payer
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import CheckoutSession
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import set_plan_active
from tests.payments import staff
from tests.subscriptions.factories import make_plan

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/checkout-sessions/"
PAYER = uuid.UUID("6a0c51b2-6f3e-4f8e-9d8b-3c2a1f0e9d8c")
SUCCESS_URL = "https://cinema.example/welcome"
FAILURE_URL = "https://cinema.example/sorry"


@pytest.fixture
def support_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.support())
    return client


def _plan_input(**changes: object) -> dict[str, object]:
    return {
        "payer_id": str(PAYER),
        "plan": "monthly",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        **changes,
    }


def _amount_input(**changes: object) -> dict[str, object]:
    return {
        "payer_id": str(PAYER),
        "amount_minor": 49_900,
        "currency": "RUB",
        "gateway": "cloudpayments",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        **changes,
    }


def _nothing_stored() -> bool:
    return not (
        CheckoutSession.objects.exists()
        or Subscription.objects.exists()
        or Invoice.objects.exists()
        or Payer.objects.filter(id=PAYER).exists()
    )


def _is_error(body: dict[str, Any], code: str) -> bool:
    return set(body) == {"code", "message", "extra"} and body["code"] == code


class TestCheckoutForAPlan:
    def test_opens_a_page_that_pays_the_first_invoice(
        self, support_api: APIClient
    ) -> None:
        make_plan(name="Cinema Monthly")

        response = support_api.post(SESSIONS, _plan_input(), format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        subscription = Subscription.objects.get()
        invoice = Invoice.objects.get()
        assert subscription.payer_id == PAYER
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert body["subscription_id"] == str(subscription.id)
        assert body["url"] == f"http://testserver/checkout/{body['id']}/"
        assert body["status"] == "OPEN"
        assert body["mode"] == "PAYMENT"
        assert body["pays"] == f"invoice:{invoice.id}"
        assert body["setup_purpose"] == ""
        assert (body["amount_minor"], body["currency"]) == (99_900, "RUB")
        assert body["gateway"] == "fake"
        assert body["description"] == "Cinema Monthly: 999.00 RUB per month"
        assert (body["success_url"], body["failure_url"]) == (
            SUCCESS_URL,
            FAILURE_URL,
        )

    def test_a_trial_plan_opens_a_card_check(self, support_api: APIClient) -> None:
        make_plan(trial_days=14)

        response = support_api.post(
            SESSIONS, _plan_input(time_zone="Europe/Moscow"), format="json"
        )

        body = response.json()
        subscription = Subscription.objects.get()
        assert response.status_code == 201
        assert body["mode"] == "CARD_SETUP"
        assert body["setup_purpose"] == f"subscription:{subscription.id}"
        assert body["pays"] == ""
        assert body["amount_minor"] == 100
        assert subscription.time_zone == "Europe/Moscow"
        assert not Invoice.objects.exists()

    def test_the_trial_can_be_skipped(self, support_api: APIClient) -> None:
        make_plan(trial_days=14)

        response = support_api.post(
            SESSIONS, _plan_input(with_trial=False), format="json"
        )

        assert response.json()["mode"] == "PAYMENT"
        assert Invoice.objects.count() == 1

    def test_a_script_with_an_api_token_may_open_one(self) -> None:
        make_plan()
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.member())}"
        )

        response = client.post(SESSIONS, _plan_input(), format="json")

        assert response.status_code == 201

    @pytest.mark.parametrize("signed_in", [False, True])
    def test_others_are_refused_and_nothing_is_stored(self, signed_in: bool) -> None:
        make_plan()
        client = APIClient()
        if signed_in:
            client.force_authenticate(staff.member())

        response = client.post(SESSIONS, _plan_input(), format="json")

        assert response.status_code == 403
        assert _nothing_stored()

    def test_a_payer_already_subscribed_is_a_409(
        self, support_api: APIClient, fake_gateway: FakeGateway
    ) -> None:
        make_plan()
        first = support_api.post(SESSIONS, _plan_input(), format="json").json()
        # The payer has used the page: it is no longer one left unused.
        Client().post(f"/checkout/{first['id']}/pay", {"card_payload": "sbx1:card"})

        response = support_api.post(SESSIONS, _plan_input(), format="json")

        assert response.status_code == 409
        assert _is_error(response.json(), "already_subscribed")
        assert response.json()["extra"] == {"plan": "monthly"}
        assert CheckoutSession.objects.count() == 1
        assert Subscription.objects.count() == 1

    def test_a_page_left_unused_is_replaced_by_a_new_one(
        self, support_api: APIClient
    ) -> None:
        make_plan()
        first = support_api.post(SESSIONS, _plan_input(), format="json").json()

        response = support_api.post(SESSIONS, _plan_input(), format="json")

        assert response.status_code == 201, response.json()
        assert response.json()["id"] != first["id"]
        statuses = dict(CheckoutSession.objects.values_list("id", "status"))
        assert statuses[uuid.UUID(first["id"])] == "EXPIRED"
        assert statuses[uuid.UUID(response.json()["id"])] == "OPEN"
        assert sorted(Subscription.objects.values_list("status", flat=True)) == [
            SubscriptionStatus.EXPIRED,
            SubscriptionStatus.INCOMPLETE,
        ]

    @pytest.mark.parametrize(
        ("changes", "status", "code"),
        [
            ({"plan": "nope"}, 404, "plan_not_found"),
            ({"plan": "retired"}, 422, "plan_inactive"),
            ({"time_zone": "Mars/Olympus"}, 422, "unknown_time_zone"),
            # A folder of the zone database, not a zone.
            ({"time_zone": "Europe"}, 422, "unknown_time_zone"),
            ({"time_zone": "America/Argentina"}, 422, "unknown_time_zone"),
        ],
    )
    def test_a_plan_not_offered_or_a_bad_time_zone_stores_nothing(
        self,
        support_api: APIClient,
        changes: dict[str, object],
        status: int,
        code: str,
    ) -> None:
        make_plan()
        retired = make_plan(code="retired", price=Money(10_000, "RUB"))
        set_plan_active(
            plan_id=retired.id, active=False, now=billing_now(), actor="user:test"
        )

        response = support_api.post(SESSIONS, _plan_input(**changes), format="json")

        assert response.status_code == status
        assert _is_error(response.json(), code)
        assert _nothing_stored()


class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "fields"),
        [
            (_plan_input(amount_minor=49_900, currency="RUB"), ["non_field_errors"]),
            (
                {
                    key: value
                    for key, value in _amount_input().items()
                    if key != "amount_minor"
                },
                ["non_field_errors"],
            ),
            (_plan_input(gateway="cloudpayments"), ["gateway"]),
            (_plan_input(currency="RUB"), ["currency"]),
            (_plan_input(description="Cheaper"), ["description"]),
            (_amount_input(with_trial=False), ["with_trial"]),
            (_amount_input(time_zone="Europe/Moscow"), ["time_zone"]),
            (_amount_input(gateway="paypal"), ["gateway"]),
            (_amount_input(gateway="fake"), ["gateway"]),
            (
                {k: v for k, v in _amount_input().items() if k != "gateway"},
                ["gateway"],
            ),
            (_plan_input(plan="not a code"), ["plan"]),
            (_plan_input(with_trial="perhaps"), ["with_trial"]),
            (_plan_input(success_url="javascript:alert(1)"), ["success_url"]),
            (_plan_input(failure_url="/relative"), ["failure_url"]),
            (_plan_input(success_url=None), ["success_url"]),
            (_plan_input(payer_id="somebody"), ["payer_id"]),
        ],
    )
    def test_is_a_400_naming_the_fields_and_stores_nothing(
        self, support_api: APIClient, data: dict[str, object], fields: list[str]
    ) -> None:
        make_plan()

        response = support_api.post(SESSIONS, data, format="json")

        assert response.status_code == 400
        body = response.json()
        assert _is_error(body, "validation_error")
        assert sorted(body["extra"]["fields"]) == fields
        assert _nothing_stored()

    def test_both_or_neither_say_which_to_give(self, support_api: APIClient) -> None:
        make_plan()

        both = support_api.post(
            SESSIONS, _plan_input(amount_minor=100, currency="RUB"), format="json"
        )

        [message] = both.json()["extra"]["fields"]["non_field_errors"]
        assert "either a plan, or an amount" in message


class TestTheAmountPathIsUnchanged:
    def test_opens_a_payment_page_for_the_amount(self, support_api: APIClient) -> None:
        response = support_api.post(
            SESSIONS, _amount_input(description="Cinema, one month"), format="json"
        )

        assert response.status_code == 201
        body = response.json()
        assert body["mode"] == "PAYMENT"
        assert body["pays"] == ""
        assert body["subscription_id"] is None
        assert body["description"] == "Cinema, one month"
        assert not Subscription.objects.exists()

    def test_a_form_post_without_with_trial_is_still_an_amount(
        self, support_api: APIClient
    ) -> None:
        """A missing checkbox is not a `with_trial` that was sent."""
        response = support_api.post(SESSIONS, _amount_input())

        assert response.status_code == 201, response.content


class TestDocumentation:
    def test_the_operation_keeps_its_path_name_and_id(self) -> None:
        client = Client()
        client.force_login(staff.support())

        schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        links = client.get("/api/", HTTP_ACCEPT="application/json").json()

        operation = schema["paths"]["/api/v1/checkout-sessions/"]["post"]
        assert operation["operationId"] == "checkout_sessions_create"
        assert operation["tags"] == ["checkout sessions"]
        assert {"201", "400", "403", "404", "409", "422"} <= set(operation["responses"])
        fields = schema["components"]["schemas"]["CheckoutSessionCreateInput"][
            "properties"
        ]
        assert {"plan", "with_trial", "time_zone", "amount_minor"} <= set(fields)
        assert (
            links["checkout_sessions"] == "http://testserver/api/v1/checkout-sessions/"
        )
