"""PostgreSQL's row locking that the renewal sweep relies on."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _claim_in_other_connection(claimed: list[str]) -> None:
    try:
        with transaction.atomic():
            rows = User.objects.select_for_update(skip_locked=True).order_by("email")
            claimed.extend(user.email for user in rows)
    finally:
        connection.close()


class TestSkipLocked:
    def test_a_second_worker_skips_rows_that_the_first_has_locked(self) -> None:
        """`SELECT … FOR UPDATE SKIP LOCKED` hands each row to one claimant only."""
        UserFactory.create(email="first@example.com")
        UserFactory.create(email="second@example.com")
        claimed_elsewhere: list[str] = []

        with transaction.atomic():
            locked = list(
                User.objects.select_for_update().filter(email="first@example.com")
            )
            other = threading.Thread(
                target=_claim_in_other_connection, args=(claimed_elsewhere,)
            )
            other.start()
            other.join(timeout=30)

        assert [user.email for user in locked] == ["first@example.com"]
        assert claimed_elsewhere == ["second@example.com"]
        assert connection.vendor == "postgresql"
