"""BillingService.StartSubscription over a real channel, on the in-memory gateway."""

from __future__ import annotations

import uuid

import grpc
import pytest

from billing.models import ClientRequest
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from payments.gateways.base import Declined, RequiresAction, ThreeDsChallenge
from payments.gateways.fake import FakeGateway
from payments.models import CardSetup, Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from tests.grpc_api.starting import (
    SUBSCRIBE_SCOPE,
    cryptogram_card,
    start,
    start_request,
)
from tests.grpc_api.statuses import error_reason
from tests.grpc_api.tokens import service_metadata, user_metadata
from tests.subscriptions.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)

CHALLENGE = ThreeDsChallenge(
    gateway_reference="tx-3ds",
    url="https://acs.example/3ds",
    form_fields={"PaReq": "pareq-1", "MD": "tx-3ds"},
)


def _refused(
    channel: grpc.Channel, request: billing_pb2.StartSubscriptionRequest, **kw: object
) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        start(channel, request, **kw)  # type: ignore[arg-type]
    return raised.value


class TestStartSubscription:
    def test_pays_the_first_period_and_answers_it_active(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan(code="pro-monthly")
        payer = uuid.uuid4()

        response = start(channel, start_request(payer, "pro-monthly"))

        subscription = response.subscription
        assert subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert subscription.payer_id == str(payer)
        assert subscription.plan_code == "pro-monthly"
        assert (subscription.amount_minor, subscription.currency) == (99_900, "RUB")
        assert not response.HasField("three_ds")
        stored = Subscription.objects.get(id=subscription.id)
        assert (stored.plan_id, stored.status) == (plan.id, SubscriptionStatus.ACTIVE)
        (payment,) = Payment.objects.filter(payer_id=payer)
        assert payment.status == PaymentStatus.SUCCEEDED
        (charge,) = fake_gateway.calls_to("charge")
        assert charge["request"].source.cardholder_name == "IVAN PETROV"

    def test_with_a_trial_checks_the_card_and_answers_it_trialing(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-trial", trial_days=14)
        payer = uuid.uuid4()

        response = start(channel, start_request(payer, "pro-trial", with_trial=True))

        subscription = response.subscription
        assert subscription.status == billing_pb2.SUBSCRIPTION_STATUS_TRIALING
        assert subscription.HasField("trial_end")
        assert not response.HasField("three_ds")
        assert not Payment.objects.filter(payer_id=payer).exists()
        assert len(fake_gateway.calls_to("setup_card")) == 1

    def test_a_service_starts_one_for_the_payer_it_names(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()

        response = start(
            channel,
            start_request(payer, "pro-monthly"),
            metadata=service_metadata(SUBSCRIBE_SCOPE),
        )

        assert response.subscription.payer_id == str(payer)
        assert ClientRequest.objects.get().client == "service:shop"

    def test_an_end_user_with_no_payer_id_starts_their_own(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()

        response = start(
            channel, start_request("", "pro-monthly"), metadata=user_metadata(payer)
        )

        assert response.subscription.payer_id == str(payer)


class TestStartSubscriptionWith3ds:
    def test_answers_incomplete_with_the_challenge_to_post(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        fake_gateway.script("charge", RequiresAction(CHALLENGE))
        payer = uuid.uuid4()

        response = start(channel, start_request(payer, "pro-monthly"))

        assert response.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_INCOMPLETE
        )
        payment = Payment.objects.get(payer_id=payer)
        assert payment.status == PaymentStatus.REQUIRES_ACTION
        assert response.three_ds.payment_id == str(payment.id)
        assert response.three_ds.acs_url == "https://acs.example/3ds"
        assert dict(response.three_ds.form_fields) == {
            "PaReq": "pareq-1",
            "MD": "tx-3ds",
        }

    def test_a_trials_card_check_names_the_check_as_the_step(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-trial", trial_days=14)
        fake_gateway.script("setup_card", RequiresAction(CHALLENGE))
        payer = uuid.uuid4()

        response = start(channel, start_request(payer, "pro-trial", with_trial=True))

        assert response.subscription.status == (
            billing_pb2.SUBSCRIPTION_STATUS_INCOMPLETE
        )
        setup = CardSetup.objects.get(payer_id=payer)
        assert response.three_ds.payment_id == str(setup.id)
        assert response.three_ds.acs_url == "https://acs.example/3ds"

    def test_a_declined_card_answers_the_subscription_expired(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """The start is over: another card is another start, with another key."""
        make_plan(code="pro-monthly")
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )
        payer = uuid.uuid4()

        response = start(channel, start_request(payer, "pro-monthly"))

        assert response.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_EXPIRED
        assert not response.HasField("three_ds")
        payment = Payment.objects.get(payer_id=payer)
        assert payment.status == PaymentStatus.FAILED
        again = start(channel, start_request(payer, "pro-monthly", key="start-2"))
        assert again.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE


class TestStartSubscriptionIdempotency:
    def test_the_same_key_and_request_answer_the_first_subscription(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()
        first = start(channel, start_request(payer, "pro-monthly"))

        again = start(channel, start_request(payer, "pro-monthly"))

        assert again.subscription.id == first.subscription.id
        assert again.subscription.status == billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
        assert Subscription.objects.filter(payer_id=payer).count() == 1
        assert Payment.objects.filter(payer_id=payer).count() == 1
        assert len(fake_gateway.calls_to("charge")) == 1
        stored = ClientRequest.objects.get()
        assert (stored.operation, stored.result) == (
            "start_subscription",
            f"subscription:{first.subscription.id}",
        )

    def test_a_replay_while_3ds_is_due_answers_the_same_challenge(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        fake_gateway.script("charge", RequiresAction(CHALLENGE))
        payer = uuid.uuid4()
        first = start(channel, start_request(payer, "pro-monthly"))

        again = start(channel, start_request(payer, "pro-monthly"))

        assert again.subscription.id == first.subscription.id
        assert again.three_ds == first.three_ds
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_the_same_key_for_another_plan_is_already_exists(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        make_plan(code="pro-yearly", interval="year")
        payer = uuid.uuid4()
        start(channel, start_request(payer, "pro-monthly"))

        error = _refused(channel, start_request(payer, "pro-yearly"))

        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_reason(error) == "duplicate_request"
        assert Subscription.objects.filter(payer_id=payer).count() == 1

    def test_keys_are_the_callers_own(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """Two payers using the same key start two subscriptions."""
        make_plan(code="pro-monthly")

        first = start(channel, start_request(uuid.uuid4(), "pro-monthly"))
        second = start(channel, start_request(uuid.uuid4(), "pro-monthly"))

        assert first.subscription.id != second.subscription.id

    def test_a_live_subscription_to_the_plan_refuses_a_new_key(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()
        start(channel, start_request(payer, "pro-monthly"))

        error = _refused(channel, start_request(payer, "pro-monthly", key="start-2"))

        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(error) == "already_subscribed"


class TestStartSubscriptionRefuses:
    @pytest.mark.parametrize(
        ("card", "reason"),
        [
            (None, "invalid_argument"),
            (billing_pb2.NewCard(cardholder_name="IVAN PETROV"), "invalid_argument"),
            (cryptogram_card(""), "card_payload_refused"),
            (cryptogram_card("4242 4242 4242 4242"), "card_number_refused"),
        ],
        ids=["no-card", "neither-payload", "empty-payload", "a-card-number"],
    )
    def test_a_request_without_a_gateways_card(
        self,
        channel: grpc.Channel,
        fake_gateway: FakeGateway,
        card: billing_pb2.NewCard | None,
        reason: str,
    ) -> None:
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()
        request = start_request(payer, "pro-monthly")
        request.ClearField("card")
        if card is not None:
            request.card.CopyFrom(card)

        error = _refused(channel, request)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) == reason
        assert not Subscription.objects.filter(payer_id=payer).exists()
        assert fake_gateway.calls == []

    @pytest.mark.parametrize(
        ("plan_gateway", "card"),
        [
            ("cloudpayments", billing_pb2.NewCard(stripe_payment_method="pm_card")),
            ("stripe", cryptogram_card()),
            # The sandbox's cryptogram sent as a Stripe payment method.
            ("cloudpayments", billing_pb2.NewCard(stripe_payment_method="sbx1:x")),
        ],
        ids=["stripe-card-cp-plan", "cp-card-stripe-plan", "mislabelled-card"],
    )
    def test_a_card_of_another_gateway_than_the_plans(
        self, channel: grpc.Channel, plan_gateway: str, card: billing_pb2.NewCard
    ) -> None:
        make_plan(code="the-plan", gateway=plan_gateway)
        payer = uuid.uuid4()

        error = _refused(channel, start_request(payer, "the-plan", card=card))

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) == "card_payload_refused"
        assert not Subscription.objects.filter(payer_id=payer).exists()
        assert not ClientRequest.objects.exists()

    def test_an_unknown_plan_is_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        error = _refused(channel, start_request(uuid.uuid4(), "no-such-plan"))

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "plan_not_found"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("plan_code", ""), ("idempotency_key", ""), ("idempotency_key", "k" * 256)],
        ids=["no-plan", "no-key", "long-key"],
    )
    def test_a_missing_or_malformed_field(
        self, channel: grpc.Channel, fake_gateway: FakeGateway, field: str, value: str
    ) -> None:
        make_plan(code="pro-monthly")
        request = start_request(uuid.uuid4(), "pro-monthly")
        setattr(request, field, value)

        error = _refused(channel, request)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert not Subscription.objects.exists()

    @pytest.mark.parametrize("payer_id", ["", "not-a-uuid"], ids=["none", "malformed"])
    def test_a_service_naming_no_payer_or_a_malformed_one(
        self, channel: grpc.Channel, fake_gateway: FakeGateway, payer_id: str
    ) -> None:
        make_plan(code="pro-monthly")
        request = start_request(uuid.uuid4(), "pro-monthly")
        request.payer_id = payer_id

        error = _refused(channel, request, metadata=service_metadata(SUBSCRIBE_SCOPE))

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) == "invalid_argument"

    def test_an_end_user_starting_one_for_another_payer_is_not_found(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")
        other = uuid.uuid4()

        error = _refused(
            channel,
            start_request(other, "pro-monthly"),
            metadata=user_metadata(uuid.uuid4()),
        )

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "payer_not_found"
        assert not Subscription.objects.exists()

    def test_a_service_without_the_subscriptions_scope_is_denied(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        make_plan(code="pro-monthly")

        error = _refused(
            channel,
            start_request(uuid.uuid4(), "pro-monthly"),
            metadata=service_metadata("billing.read"),
        )

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.postgres
class TestConcurrentStartsWithOneKey:
    def test_answer_one_subscription_with_one_payment(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """The loser meets the winner's key (or its subscription) and answers it."""
        make_plan(code="pro-monthly")
        payer = uuid.uuid4()
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        calls = [
            stub.StartSubscription.future(
                start_request(payer, "pro-monthly"),
                metadata=user_metadata(payer),
                timeout=30,
            )
            for _ in range(4)
        ]

        answers = {call.result().subscription.id for call in calls}

        assert len(answers) == 1
        assert Subscription.objects.filter(payer_id=payer).count() == 1
        assert Payment.objects.filter(payer_id=payer).count() == 1
