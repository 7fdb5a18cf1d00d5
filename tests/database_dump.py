"""Every value stored in the apps' tables, as text: what a database dump shows, so
that a test can prove that a secret is nowhere in it."""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def every_stored_text(*, apps_left_out: tuple[str, ...] = ()) -> list[str]:
    texts: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label in apps_left_out:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own tables
            texts.extend(str(value) for row in cursor.fetchall() for value in row)
    return texts
