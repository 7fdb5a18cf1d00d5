"""The ways in to forgetting a payer: the API (accounting), the command and the
subscription admin's action."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from billing.models import Payer
from payments.gateways.fake import FakeGateway
from subscriptions.models import SubscriptionStatus
from tests.payments import staff
from tests.subscriptions.admin_pages import SUBSCRIPTIONS, accounting, flashed
from tests.subscriptions.api_clients import api_client, is_error
from tests.subscriptions.forgetting import payer_with_history, secrets_left

pytestmark = pytest.mark.django_db
__all__ = ["accounting"]  # fixtures

PAYERS = "/api/v1/payers/"


def _forget_over_api(user: User, payer_id: object, body: object) -> Any:
    return api_client(user).post(f"{PAYERS}{payer_id}/forget/", body, format="json")


class TestApi:
    def test_accounting_forgets_a_payer_and_may_ask_again(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()
        user = staff.accounting()

        first = _forget_over_api(user, payer.id, {"reason": "ticket 7"})
        second = _forget_over_api(user, payer.id, {"reason": "ticket 7"})

        assert first.status_code == 200
        body = first.json()
        assert body["payer_id"] == str(payer.id)
        assert body["newly_forgotten"] is True
        assert body["subscriptions_canceled"] == 1
        assert body["cards_revoked"] == 1
        assert body["tokens_dropped"] == 1
        assert second.json()["newly_forgotten"] is False
        assert secrets_left(payer.id) == []

    def test_support_may_not_and_nothing_is_done(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()

        response = _forget_over_api(staff.support(), payer.id, {"reason": "x"})

        assert response.status_code == 403
        assert is_error(response.json(), "permission_denied")
        assert Payer.objects.get(id=payer.id).forgotten_at is None

    @pytest.mark.parametrize(
        ("payer_id", "body", "status", "code"),
        [
            ("not-a-uuid", {"reason": "x"}, 400, "validation_error"),
            (uuid.uuid4(), {"reason": "x"}, 404, "payer_not_found"),
        ],
    )
    def test_a_bad_or_unknown_id(
        self, payer_id: object, body: object, status: int, code: str
    ) -> None:
        response = _forget_over_api(staff.accounting(), payer_id, body)

        assert response.status_code == status
        assert is_error(response.json(), code)

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 201}])
    def test_a_reason_is_required(
        self, fake_gateway: FakeGateway, body: object
    ) -> None:
        payer = payer_with_history()

        response = _forget_over_api(staff.accounting(), payer.id, body)

        assert response.status_code == 400
        assert "reason" in response.json()["extra"]["fields"]
        assert Payer.objects.get(id=payer.id).forgotten_at is None


class TestCommand:
    def test_forgets_and_says_what_it_did(self, fake_gateway: FakeGateway) -> None:
        payer = payer_with_history()
        out = io.StringIO()

        call_command("forget_payer", str(payer.id), "--reason", "ticket 7", stdout=out)
        call_command("forget_payer", str(payer.id), "--reason", "ticket 7", stdout=out)

        text = out.getvalue()
        assert f"Payer {payer.id} forgotten at" in text
        assert "subscriptions canceled: 1" in text
        assert f"Payer {payer.id} was forgotten already" in text
        assert secrets_left(payer.id) == []

    @pytest.mark.parametrize(
        ("payer_id", "message"),
        [("nope", "is not a UUID"), (str(uuid.uuid4()), "payer_not_found")],
    )
    def test_refuses_a_bad_or_unknown_payer(self, payer_id: str, message: str) -> None:
        with pytest.raises(CommandError, match=message):
            call_command("forget_payer", payer_id, "--reason", "x")


class TestAdminAction:
    def test_asks_then_forgets_the_payer(
        self, fake_gateway: FakeGateway, accounting: Client
    ) -> None:
        payer = payer_with_history()
        selection = {
            "action": "forget_payers",
            "_selected_action": [str(payer.subscription.id)],
        }

        asked = accounting.post(SUBSCRIPTIONS, selection)
        done = accounting.post(
            SUBSCRIPTIONS,
            {**selection, "confirmed": "yes", "reason": "ticket 7"},
            follow=True,
        )

        assert asked.status_code == 200
        assert b"Are you sure?" in asked.content
        assert flashed(done) == [
            (
                "success",
                f"Payer {payer.id} is forgotten: 1 subscription(s) canceled, "
                "1 card(s) revoked, 1 token(s) dropped.",
            )
        ]
        payer.subscription.refresh_from_db()
        assert payer.subscription.status == SubscriptionStatus.CANCELED
        assert secrets_left(payer.id) == []
