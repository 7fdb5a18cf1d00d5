"""Calling the shop's order API in tests: a member's or an admin's JWT client,
the order bodies, and the one error shape of every refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User

ORDERS = "/api/v1/shop/orders/"
TOMORROW = (dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=1)).date().isoformat()


def shop_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    return body


def purchases_body(*pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "purchases": [
            {"snack_id": str(snack_id), "quantity": quantity}
            for snack_id, quantity in pairs
        ]
    }


def place_order_via_api(client: APIClient, *pairs: tuple[Any, Any]) -> Any:
    return client.post(ORDERS, purchases_body(*pairs), format="json")
