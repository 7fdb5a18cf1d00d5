"""Staff signed in to the admin, and what its pages answer, for the admin tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from payments.gateways.fake import FakeGateway
from subscriptions.models import Subscription
from tests.payments import staff
from tests.subscriptions import scenarios

SUBSCRIPTIONS = "/admin/subscriptions/subscription/"
PLANS = "/admin/subscriptions/plan/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def accounting() -> Client:
    return signed_in(staff.accounting())


@pytest.fixture
def support() -> Client:
    return signed_in(staff.support())


@pytest.fixture
def subscription(fake_gateway: FakeGateway) -> Subscription:
    """An active subscription, paid on the in-memory gateway."""
    return scenarios.active()


def act(
    client: Client, action: str, *rows: Subscription, **fields: str
) -> tuple[Any, Any]:
    """Choose `action` for `rows` on the changelist, then confirm it."""
    selection = {"action": action, "_selected_action": [str(row.pk) for row in rows]}
    asked = client.post(SUBSCRIPTIONS, selection)
    done = client.post(
        SUBSCRIPTIONS, {**selection, "confirmed": "yes", **fields}, follow=True
    )
    return asked, done


def flashed(response: Any) -> list[tuple[str, str]]:
    return [
        (message.level_tag, str(message)) for message in response.context["messages"]
    ]


def page_text(response: Any) -> str:
    return str(response.content.decode())
