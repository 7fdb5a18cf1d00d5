"""Idempotency keys of write requests: the first result answers, reuse is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from billing.errors import DuplicateRequest
from billing.models import ClientRequest
from billing.services import (
    KeyTaken,
    RequestKey,
    purge_client_requests,
    remember_request,
    replay_of,
)
from billing.tasks import purge_client_requests as purge_task
from tests.billing.factories import NOW, ClientRequestFactory

pytestmark = pytest.mark.django_db

KEY = RequestKey(
    client="service:shop",
    key="order-1",
    operation="charge_payment",
    fingerprint="a" * 64,
)


class TestReplayOf:
    def test_a_new_key_has_no_earlier_result(self) -> None:
        assert replay_of(KEY) is None

    def test_the_same_key_and_request_answer_the_first_result(self) -> None:
        remember_request(KEY, result="payment:1", now=NOW)

        assert replay_of(KEY) == "payment:1"

    def test_the_same_key_with_other_arguments_is_a_duplicate_request(self) -> None:
        remember_request(KEY, result="payment:1", now=NOW)
        other = RequestKey(KEY.client, KEY.key, KEY.operation, "b" * 64)

        with pytest.raises(DuplicateRequest) as raised:
            replay_of(other)

        assert raised.value.extra == {
            "idempotency_key": "order-1",
            "first_operation": "charge_payment",
        }

    def test_the_same_key_for_another_operation_is_a_duplicate_request(self) -> None:
        remember_request(KEY, result="payment:1", now=NOW)
        other = RequestKey(KEY.client, KEY.key, "refund_payment", KEY.fingerprint)

        with pytest.raises(DuplicateRequest):
            replay_of(other)

    def test_keys_belong_to_their_client(self) -> None:
        """Two callers may pick the same key without meeting."""
        remember_request(KEY, result="payment:1", now=NOW)
        other = RequestKey("service:crm", KEY.key, KEY.operation, "b" * 64)

        assert replay_of(other) is None


class TestRememberRequest:
    def test_a_second_writer_of_the_key_is_told_it_was_taken(self) -> None:
        """The unique constraint decides a race; the loser's transaction survives
        to be rolled back by its caller."""
        remember_request(KEY, result="payment:1", now=NOW)

        with transaction.atomic(), pytest.raises(KeyTaken):
            remember_request(KEY, result="payment:2", now=NOW)

        assert list(ClientRequest.objects.values_list("result", flat=True)) == [
            "payment:1"
        ]


class TestPurge:
    def test_forgets_keys_older_than_the_retention_only(self) -> None:
        ClientRequestFactory(created_at=NOW - dt.timedelta(hours=25))
        fresh = ClientRequestFactory(created_at=NOW - dt.timedelta(hours=1))

        purged = purge_client_requests(older_than=NOW - dt.timedelta(hours=24))

        assert purged == 1
        assert list(ClientRequest.objects.all()) == [fresh]

    def test_the_beat_task_purges_past_the_configured_retention(self) -> None:
        now = dt.datetime.now(dt.UTC)
        ClientRequestFactory(created_at=now - dt.timedelta(days=2))
        kept = ClientRequestFactory(created_at=now - dt.timedelta(hours=1))

        assert purge_task() == 1
        assert list(ClientRequest.objects.all()) == [kept]
