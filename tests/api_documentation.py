"""What the API tells support staff about itself: its schema and its front page."""

from __future__ import annotations

from django.test import Client

from tests.payments import staff


def _support() -> Client:
    client = Client()
    client.force_login(staff.support())
    return client


def documented_operations() -> set[str]:
    """The operation ids of the OpenAPI schema served at /api/schema/."""
    schema = _support().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
    }


def api_root_links() -> dict[str, str]:
    """The links of the API's front page, /api/."""
    links: dict[str, str] = (
        _support().get("/api/", HTTP_ACCEPT="application/json").json()
    )
    return links
