"""The migration that makes e-mails unique in any case keeps every account."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.db.migrations.executor import MigrationExecutor

from tests.migration_steps import migrated_back_to

BEFORE = [("accounts", "0003_user_locale")]
AFTER = [("accounts", "0004_shop_roles_and_resign")]


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    """The accounts app at the migration before; the latest state again after."""
    yield from migrated_back_to(BEFORE)


@pytest.mark.django_db(transaction=True)
def test_addresses_that_differ_only_in_case_are_set_apart(
    executor: MigrationExecutor,
) -> None:
    """The oldest holder keeps the address; a later one gets a unique spelling
    that names its id, and keeps its account."""
    User = executor.loader.project_state(BEFORE).apps.get_model("accounts", "User")
    first = User.objects.create(id=uuid.uuid4(), email="ann@example.com")
    second = User.objects.create(id=uuid.uuid4(), email="Ann@Example.com")

    executor.loader.build_graph()
    executor.migrate(AFTER)

    Migrated = executor.loader.project_state(AFTER).apps.get_model("accounts", "User")
    emails = dict(Migrated.objects.values_list("id", "email"))
    assert emails[first.id] == "ann@example.com"
    assert emails[second.id] == f"Ann+duplicate-{second.id.hex}@Example.com"
