"""Tests of a data migration: the database at the migration before it, and at the
latest state again afterwards."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrated_back_to(before: list[tuple[str, str]]) -> Iterator[MigrationExecutor]:
    """The database migrated back to `before`; the executor to migrate it on
    with. Every app is migrated to its latest state once the test is done."""
    migrating = MigrationExecutor(connection)
    migrating.migrate(before)
    yield MigrationExecutor(connection)
    latest = MigrationExecutor(connection)
    latest.loader.build_graph()
    latest.migrate(latest.loader.graph.leaf_nodes())
