"""BillingService.GetPayer over a real channel."""

from __future__ import annotations

import uuid

import grpc
import pytest

from billing.clock import billing_now
from billing.money import Money
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import PaymentMethod
from payments.services import charge_saved_card
from tests.grpc_api.statuses import error_info, error_reason
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata
from tests.subscriptions.factories import ACTOR, make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db(transaction=True)


def _get_payer(
    channel: grpc.Channel, metadata: Metadata, payer_id: str = ""
) -> billing_pb2.Payer:
    response = billing_pb2_grpc.BillingServiceStub(channel).GetPayer(
        billing_pb2.GetPayerRequest(payer_id=payer_id), metadata=metadata, timeout=10
    )
    return response.payer


def _refused(channel: grpc.Channel, metadata: Metadata, payer_id: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        _get_payer(channel, metadata, payer_id)
    return raised.value


def _payer_with_a_card(plan_code: str = "monthly") -> uuid.UUID:
    payer_id = uuid.uuid4()
    subscribe_with_card(
        make_plan(code=plan_code),
        payer_id=payer_id,
        now=billing_now(),
        with_trial=False,
    )
    return payer_id


class TestGetPayer:
    def test_answers_the_callers_own_payer_with_their_usable_cards(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        """An end user's empty payer_id is their own; a card the bank retired is
        not offered."""
        payer_id = _payer_with_a_card()
        fake_gateway.script(
            "charge", Declined(reason_code="5054", message="Expired card", hard=True)
        )
        charge_saved_card(
            payer_id=payer_id, amount=Money(100, "RUB"), now=billing_now(), actor=ACTOR
        )
        subscribe_with_card(
            make_plan(code="yearly", interval="year"),
            payer_id=payer_id,
            now=billing_now(),
            with_trial=False,
        )
        usable = PaymentMethod.objects.get(payer_id=payer_id, status="USABLE")

        payer = _get_payer(channel, user_metadata(payer_id))

        assert payer.id == str(payer_id)
        assert [method.id for method in payer.payment_methods] == [str(usable.id)]
        (card,) = payer.payment_methods
        assert (card.brand, card.last4) == (usable.brand, usable.last4)
        assert (card.exp_month, card.exp_year) == (usable.exp_month, usable.exp_year)
        assert payer.HasField("created_at")

    def test_an_end_user_may_name_their_own_payer(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        payer_id = _payer_with_a_card()

        payer = _get_payer(channel, user_metadata(payer_id), str(payer_id))

        assert payer.id == str(payer_id)
        assert len(payer.payment_methods) == 1

    def test_a_payer_billing_has_not_met_is_a_payer_without_cards_for_themselves(
        self, channel: grpc.Channel
    ) -> None:
        """A signed-in user who never paid is no error: no cards, no created_at."""
        payer_id = uuid.uuid4()

        payer = _get_payer(channel, user_metadata(payer_id))

        assert payer.id == str(payer_id)
        assert list(payer.payment_methods) == []
        assert not payer.HasField("created_at")

    def test_another_payer_is_not_found_for_an_end_user(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        other = _payer_with_a_card()

        error = _refused(channel, user_metadata(uuid.uuid4()), str(other))

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "payer_not_found"

    def test_a_service_reads_any_payer(
        self, channel: grpc.Channel, fake_gateway: FakeGateway
    ) -> None:
        payer_id = _payer_with_a_card()

        payer = _get_payer(channel, service_metadata("billing.read"), str(payer_id))

        assert payer.id == str(payer_id)
        assert len(payer.payment_methods) == 1

    def test_a_payer_unknown_to_billing_is_not_found_for_a_service(
        self, channel: grpc.Channel
    ) -> None:
        error = _refused(channel, service_metadata("billing.read"), str(uuid.uuid4()))

        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(error) == "payer_not_found"

    @pytest.mark.parametrize("payer_id", ["", "not-a-uuid"])
    def test_a_service_must_name_a_well_formed_payer(
        self, channel: grpc.Channel, payer_id: str
    ) -> None:
        error = _refused(channel, service_metadata("billing.read"), payer_id)

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(error).metadata["field"] == "payer_id"

    def test_a_malformed_payer_id_is_an_invalid_argument_for_an_end_user(
        self, channel: grpc.Channel
    ) -> None:
        error = _refused(channel, user_metadata(uuid.uuid4()), "12345")

        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_reason(error) == "invalid_argument"
