"""StartSubscription and Complete3ds as the frontend uses them, against the sandbox.

The real adapters and the official SDKs talk to the gateway sandbox over HTTP. The
test does what the frontend's page does with a 3-D Secure step: CloudPayments'
challenge is a form posted to the ACS with the frontend's own TermUrl, whose answer
posts MD and PaRes back there; Stripe's is a redirect that comes back to
`GRPC_3DS_RETURN_URL`. Then it calls Complete3ds.
"""

from __future__ import annotations

import urllib.parse
import uuid

import grpc
import pytest
import requests
from pytest_django.fixtures import Settings

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from tests.grpc_api.starting import complete_3ds, start, start_request
from tests.grpc_api.tokens import user_metadata
from tests.journeys.cards import CARDS, entered_card
from tests.journeys.checkout_pages import only_form
from tests.journeys.subscribing import GATEWAYS, captures_of, make_plan

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

# The frontend's pages where the payer comes back from the bank.
TERM_URL = "https://app.example/billing/3ds-return"
STRIPE_RETURN_URL = "https://app.example/billing/stripe-3ds-return"


@pytest.fixture
def sandbox_url(journey_sandbox: SandboxThread, gateway_sandbox: Sandbox) -> str:
    """A freshly reset sandbox that both adapters point at (the journeys' own)."""
    return journey_sandbox.url


@pytest.fixture(autouse=True)
def return_url(settings: Settings) -> None:
    settings.GRPC_3DS_RETURN_URL = STRIPE_RETURN_URL


def _start(
    channel: grpc.Channel,
    sandbox_url: str,
    gateway: str,
    test_card: str,
    *,
    trial_days: int = 0,
) -> tuple[uuid.UUID, billing_pb2.StartSubscriptionResponse]:
    """A new payer starts on a plan of `gateway` with one of its test cards (by
    name, `tests.journeys.cards.CARDS`), entered in the gateway's card form."""
    plan = make_plan(gateway, trial_days=trial_days)
    payer = uuid.uuid4()
    payload = entered_card(sandbox_url, gateway, CARDS[gateway][test_card])
    if gateway == "cloudpayments":
        card = billing_pb2.NewCard(
            cloudpayments_cryptogram=payload, cardholder_name="IVAN PETROV"
        )
    else:
        card = billing_pb2.NewCard(stripe_payment_method=payload)
    request = start_request(payer, plan.code, card=card, with_trial=bool(trial_days))
    return payer, start(channel, request)


def _pass_challenge(challenge: billing_pb2.ThreeDsChallenge, *, succeed: bool) -> str:
    """What the frontend's page does with the step; returns the PaRes to pass on."""
    result = "success" if succeed else "fail"
    if challenge.form_fields:
        acs = requests.post(
            challenge.acs_url,
            params={"result": result},
            data={**challenge.form_fields, "TermUrl": TERM_URL},
            timeout=5,
        )
        acs.raise_for_status()
        back = only_form(acs.text)
        assert back.action == TERM_URL
        assert back.fields["MD"] == challenge.form_fields["MD"]
        return back.fields["PaRes"]
    bank = requests.post(
        f"{challenge.acs_url}/complete",
        data={"result": result},
        allow_redirects=False,
        timeout=5,
    )
    assert bank.status_code == 303
    location = urllib.parse.urlsplit(bank.headers["Location"])
    assert location._replace(query="").geturl() == STRIPE_RETURN_URL
    return ""


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestStartSubscriptionWith3dsAtTheSandbox:
    def test_answers_the_challenge_then_complete3ds_activates_it(
        self, channel: grpc.Channel, sandbox_url: str, gateway: str
    ) -> None:
        payer, started = _start(channel, sandbox_url, gateway, "success_3ds")
        assert started.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_INCOMPLETE
        )
        challenge = started.three_ds
        assert challenge.acs_url.startswith(sandbox_url)
        if gateway == "cloudpayments":
            assert set(challenge.form_fields) == {"PaReq", "MD"}
        assert captures_of(sandbox_url, gateway, payer) == []
        pa_res = _pass_challenge(challenge, succeed=True)

        completed = complete_3ds(
            channel, challenge.payment_id, pa_res=pa_res, metadata=user_metadata(payer)
        )

        assert completed.payment.id == challenge.payment_id
        assert completed.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert completed.subscription.id == started.subscription.id
        assert completed.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        subscription = Subscription.objects.get(id=started.subscription.id)
        assert subscription.status == SubscriptionStatus.ACTIVE
        payment = Payment.objects.get(id=challenge.payment_id)
        assert subscription.payment_method_id == payment.payment_method_id
        captures = captures_of(sandbox_url, gateway, payer)
        assert [capture["amount_minor"] for capture in captures] == [99_900]
        again = complete_3ds(channel, challenge.payment_id, pa_res=pa_res)
        assert again.payment.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
        assert len(captures_of(sandbox_url, gateway, payer)) == 1

    def test_a_failed_authentication_leaves_the_subscription_expired(
        self, channel: grpc.Channel, sandbox_url: str, gateway: str
    ) -> None:
        payer, started = _start(channel, sandbox_url, gateway, "success_3ds")
        pa_res = _pass_challenge(started.three_ds, succeed=False)

        completed = complete_3ds(channel, started.three_ds.payment_id, pa_res=pa_res)

        assert completed.payment.status == billing_pb2.PAYMENT_STATUS_FAILED
        assert completed.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_EXPIRED
        )
        assert captures_of(sandbox_url, gateway, payer) == []

    def test_a_trials_card_check_passes_3ds_and_the_trial_starts(
        self, channel: grpc.Channel, sandbox_url: str, gateway: str
    ) -> None:
        payer, started = _start(
            channel, sandbox_url, gateway, "setup_3ds", trial_days=14
        )
        pa_res = _pass_challenge(started.three_ds, succeed=True)

        completed = complete_3ds(channel, started.three_ds.payment_id, pa_res=pa_res)

        assert not completed.HasField("payment")
        assert completed.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_TRIALING
        )
        subscription = Subscription.objects.get(payer_id=payer)
        assert subscription.id == uuid.UUID(started.subscription.id)
        assert subscription.payment_method_id is not None


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestStartSubscriptionAtTheSandbox:
    def test_a_card_without_3ds_answers_it_active(
        self, channel: grpc.Channel, sandbox_url: str, gateway: str
    ) -> None:
        payer, started = _start(channel, sandbox_url, gateway, "success")

        assert started.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert not started.HasField("three_ds")
        assert len(captures_of(sandbox_url, gateway, payer)) == 1

    def test_a_declined_card_answers_it_expired(
        self, channel: grpc.Channel, sandbox_url: str, gateway: str
    ) -> None:
        payer, started = _start(channel, sandbox_url, gateway, "insufficient_funds")

        assert started.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_EXPIRED
        assert not started.HasField("three_ds")
        payment = Payment.objects.get(payer_id=payer)
        assert payment.status == PaymentStatus.FAILED
        assert captures_of(sandbox_url, gateway, payer) == []
