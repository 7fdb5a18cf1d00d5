"""Staff clients of the support API, and what its error shape looks like."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.payments import staff


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def is_error(body: dict[str, Any], code: str) -> bool:
    return set(body) == {"code", "message", "extra"} and body["code"] == code


@pytest.fixture
def support_client() -> APIClient:
    return api_client(staff.support())


@pytest.fixture
def accounting_client() -> APIClient:
    return api_client(staff.accounting())
