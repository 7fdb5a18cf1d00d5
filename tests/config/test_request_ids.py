"""Each web request runs under a request id: the caller's `X-Request-ID` when
well formed, a new one otherwise, answered in the response and named by every
line logged while the request is served."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from pytest_django.fixtures import Settings

from kit import correlation
from tests.config.console_logs import console_logs
from tests.payments import staff

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/plans/"


@pytest.fixture
def json_logs(settings: Settings) -> Iterator[io.StringIO]:
    """The JSON lines logged during the test, at INFO and above."""
    with console_logs(settings.LOGGING, "json", level="INFO") as stream:
        yield stream


def _errors(logged: io.StringIO) -> list[dict[str, object]]:
    lines = (json.loads(line) for line in logged.getvalue().splitlines())
    return [line for line in lines if line["level"] == "ERROR"]


def _support_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(staff.support())
    return client


class TestTheResponse:
    def test_echoes_a_well_formed_request_id(self) -> None:
        response = _support_client().get(PLANS, headers={"X-Request-ID": "shop-7f3a"})

        assert response.status_code == 200
        assert response["X-Request-ID"] == "shop-7f3a"

    def test_carries_a_new_id_when_the_caller_sent_none(self) -> None:
        response = _support_client().get(PLANS)

        assert str(uuid.UUID(response["X-Request-ID"])) == response["X-Request-ID"]

    @pytest.mark.parametrize(
        "incoming",
        [
            "r" * (correlation.MAX_LENGTH + 1),
            "evil\x07bell",
            "two words",
            "4242424242424242",
        ],
        ids=["too long", "control character", "space", "card number"],
    )
    def test_replaces_a_bad_id_with_a_new_one(self, incoming: str) -> None:
        response = _support_client().get(PLANS, headers={"X-Request-ID": incoming})

        answered = response["X-Request-ID"]
        assert answered != incoming
        assert str(uuid.UUID(answered)) == answered

    def test_gives_each_request_its_own_new_id(self) -> None:
        client = _support_client()

        answered = {client.get(PLANS)["X-Request-ID"] for _ in range(3)}

        assert len(answered) == 3

    def test_leaves_no_id_behind_once_answered(self) -> None:
        _support_client().get(PLANS, headers={"X-Request-ID": "shop-7f3a"})

        assert correlation.current() == ""


class TestAnAsgiRequest:
    def test_echoes_the_request_id_too(self) -> None:
        """Under ASGI Django runs the middleware adapted, with the same result."""
        response = async_to_sync(AsyncClient().get)(
            "/healthz", headers={"X-Request-ID": "asgi-1"}
        )

        assert response.status_code == 200
        assert response["X-Request-ID"] == "asgi-1"


class TestTheLogs:
    def test_name_the_request_id_of_a_failed_request(
        self, json_logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The lines that log an unexpected error (the API's, and Django's own
        after the middleware returned), and the 500 it answers, all carry the
        caller's id: what a support engineer is given is what they search for."""

        def broken() -> None:
            raise RuntimeError("the plans table is gone")

        monkeypatch.setattr("subscriptions.selectors.active_plan_list", broken)

        response = _support_client().get(PLANS, headers={"X-Request-ID": "ticket-42"})

        assert response.status_code == 500
        assert response["X-Request-ID"] == "ticket-42"
        assert {
            (line["logger"], line["request_id"]) for line in _errors(json_logs)
        } == {
            ("config.exception_handler", "ticket-42"),
            ("django.request", "ticket-42"),
        }

    def test_name_the_request_id_of_a_refused_host(
        self, json_logs: io.StringIO
    ) -> None:
        """Host validation runs after the id is taken, so its error line has it."""
        response = Client().get(
            PLANS, headers={"X-Request-ID": "probe-1", "Host": "attacker.example"}
        )

        assert response.status_code == 400
        assert response["X-Request-ID"] == "probe-1"
        assert [line["request_id"] for line in _errors(json_logs)] == ["probe-1"]
