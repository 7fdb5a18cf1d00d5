"""Each error report names the request id of the work that raised it."""

from __future__ import annotations

import json

from config.sentry import prepare_event
from kit import correlation

TOKEN = "tk_255c42192323f2e09ea17635302c3"


class TestPrepareEvent:
    def test_tags_the_event_with_the_request_id_of_the_work_in_hand(self) -> None:
        event = {"message": "failed", "tags": {"queue": "payments"}}

        with correlation.bound("ticket-42"):
            prepared = prepare_event(event, {})

        assert prepared["tags"] == {"queue": "payments", "request_id": "ticket-42"}

    def test_tags_an_event_that_had_no_tags(self) -> None:
        with correlation.bound("ticket-42"):
            prepared = prepare_event({"message": "failed"}, {})

        assert prepared["tags"] == {"request_id": "ticket-42"}

    def test_adds_no_tag_outside_any_work(self) -> None:
        prepared = prepare_event({"message": "failed", "tags": {"a": "b"}}, {})

        assert prepared["tags"] == {"a": "b"}

    def test_still_scrubs_the_event(self) -> None:
        with correlation.bound("ticket-42"):
            prepared = prepare_event({"message": f"paid with {TOKEN}"}, {})

        assert TOKEN not in json.dumps(prepared)
        assert prepared["tags"]["request_id"] == "ticket-42"
