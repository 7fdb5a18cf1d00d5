"""The suite's PostgreSQL backend: production's, emptied with DELETE between tests.

After each transactional test Django empties every table (`flush`). PostgreSQL's
TRUNCATE replaces the files of each table it names, so emptying the schema's
ninety-odd tables took about a second even when a test wrote to three of them:
several minutes of every PostgreSQL pass. DELETE costs a fraction of a millisecond
on an empty table. Django creates foreign keys DEFERRABLE INITIALLY DEFERRED and
runs the flush in one transaction, so they are checked at its commit, when every
table is empty; no trigger of ours acts on DELETE.
"""

from __future__ import annotations

from typing import Any

from django.core.management.color import Style
from django.db.backends.postgresql.operations import (
    DatabaseOperations as PostgresOperations,
)
from django_prometheus.db.backends.postgresql import base


class DatabaseOperations(PostgresOperations):
    def sql_flush(
        self,
        style: Style,
        tables: Any,
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            # Sequences restarted, or a part of the schema emptied: Django's own.
            return super().sql_flush(
                style,
                tables,
                reset_sequences=reset_sequences,
                allow_cascade=allow_cascade,
            )
        # Table names from the schema, quoted.
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
