"""Two admins resigning at once on PostgreSQL: the shop keeps one of them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.errors import LastAdmin
from accounts.models import ShopRole, User
from accounts.services import resign
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


class TestConcurrentResign:
    def test_the_last_two_admins_resigning_at_once_leave_one(self) -> None:
        """The admins are locked before the check, so one waits for the other
        and then finds itself the last admin."""
        admins = UserFactory.create_batch(2, shop_admin=True)
        start = threading.Barrier(len(admins))
        outcomes: list[str] = []

        def resign_in_own_connection(user: User) -> None:
            try:
                start.wait(timeout=10)
                resign(user_id=user.id, password=PASSWORD, now=NOW)
                outcomes.append("resigned")
            except LastAdmin:
                outcomes.append("last_admin")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=resign_in_own_connection, args=(admin,))
            for admin in admins
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["last_admin", "resigned"]
        assert User.objects.filter(role=ShopRole.ADMIN, is_active=True).count() == 1
        assert connection.vendor == "postgresql"
