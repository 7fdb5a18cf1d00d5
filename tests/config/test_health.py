"""Liveness and readiness endpoints."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


class TestHealthz:
    def test_answers_ok_without_touching_dependencies(self, client: Client) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_refuses_methods_other_than_get(self, client: Client) -> None:
        assert client.post("/healthz").status_code == 405


class TestReadyz:
    def test_reports_each_dependency_when_all_answer(
        self, client: Client, settings: object
    ) -> None:
        response = client.get("/readyz")

        body = response.json()
        assert response.status_code == 200, body
        assert set(body["checks"]) == {"database", "broker", "cache"}
        assert all(check["ok"] for check in body["checks"].values())

    def test_names_the_dependency_that_failed(
        self, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken_get(*args: object, **kwargs: object) -> None:
            raise ConnectionError("cache is down")

        monkeypatch.setattr(cache, "get", broken_get)

        response = client.get("/readyz")

        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
        assert body["checks"]["database"]["ok"] is True
