"""Celery tasks carry the request id of the work that sent them, over a real
(in-memory) broker's messages, and run under it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from kit import correlation

QUEUE = "request-ids"


@pytest.fixture
def app() -> Iterator[Celery]:
    """An app of its own on kombu's in-memory transport: the project's signal
    handlers serve every app, and its messages can be read back."""
    app = Celery("request-ids", broker="memory://", set_as_current=False)
    app.conf.task_default_queue = QUEUE
    yield app
    app.close()


def _published_headers(app: Celery) -> dict[str, Any]:
    """The headers of the next message on the queue."""
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(QUEUE)
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    headers: dict[str, Any] = message.headers
    return headers


class TestSendingATask:
    def test_adds_the_id_of_the_work_in_hand_to_the_message(self, app: Celery) -> None:
        with correlation.bound("web-7f3a"):
            app.send_task("anything.at_all")

        assert _published_headers(app)["request_id"] == "web-7f3a"

    def test_adds_no_id_outside_any_work(self, app: Celery) -> None:
        """What beat sends, say: the worker gives the task its own."""
        app.send_task("anything.at_all")

        assert "request_id" not in _published_headers(app)

    def test_keeps_an_id_the_sender_gave(self, app: Celery) -> None:
        with correlation.bound("web-7f3a"):
            app.send_task("anything.at_all", headers={"request_id": "given-1"})

        assert _published_headers(app)["request_id"] == "given-1"

    def test_from_a_task_carries_that_tasks_id_on(self, app: Celery) -> None:
        @app.task(name="request_ids.fan_out")
        def fan_out() -> None:
            app.send_task("request_ids.child")

        fan_out.apply(headers={"request_id": "renewal-run-9"})

        assert _published_headers(app)["request_id"] == "renewal-run-9"


@pytest.fixture
def seen_request_id(app: Celery) -> Any:
    """A task that answers the id it ran under, run eagerly with `apply`, which
    passes headers as a worker's request does."""

    @app.task(name="request_ids.seen")
    def seen() -> str:
        return correlation.current()

    return seen


class TestRunningATask:
    def test_binds_the_messages_id(self, seen_request_id: Any) -> None:
        result = seen_request_id.apply(headers={"request_id": "web-7f3a"})

        assert result.get() == "web-7f3a"

    def test_binds_its_own_task_id_when_the_message_has_none(
        self, seen_request_id: Any
    ) -> None:
        result = seen_request_id.apply(task_id="5c0bd7e1-8a35-4a8e-9b5a-0c7e3f2a9d41")

        assert result.get() == "5c0bd7e1-8a35-4a8e-9b5a-0c7e3f2a9d41"

    @pytest.mark.parametrize(
        "incoming", ["x" * 500, "evil\nline", "4242424242424242"], ids=repr
    )
    def test_binds_its_own_task_id_instead_of_a_bad_one(
        self, seen_request_id: Any, incoming: str
    ) -> None:
        result = seen_request_id.apply(
            task_id="task-1", headers={"request_id": incoming}
        )

        assert result.get() == "task-1"

    def test_eagerly_keeps_the_id_of_the_work_that_ran_it(
        self, seen_request_id: Any
    ) -> None:
        """The test settings run tasks eagerly, inside the request."""
        with correlation.bound("web-7f3a"):
            seen = seen_request_id.apply().get()
            after = correlation.current()

        assert (seen, after) == ("web-7f3a", "web-7f3a")

    def test_leaves_no_id_behind(self, seen_request_id: Any) -> None:
        seen_request_id.apply(headers={"request_id": "web-7f3a"})

        assert correlation.current() == ""
