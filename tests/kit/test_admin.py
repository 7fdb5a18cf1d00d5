"""The admin's shared pieces: read-only bases and what their pages display."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

from django.contrib.admin import site
from django.test import RequestFactory

from billing.models import Payer, StatusChange
from kit.admin import (
    EMPTY,
    ReadOnlyAdmin,
    as_uuid,
    link_column,
    money,
    status_change_table,
)


class _Amount:
    def format(self) -> str:
        return "1,250.00 RUB"


class TestDisplay:
    def test_an_audit_trail_is_a_table_with_its_text_escaped(self) -> None:
        row = StatusChange(
            at=dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC),
            object_type="invoice",
            object_id="12",
            from_status="OPEN",
            to_status="PAID",
            actor="user:<b>",
            reason="paid",
        )

        table = status_change_table([row])

        assert "<td>2026-01-31T09:00:00+00:00</td>" in table
        assert "<td>OPEN → PAID</td>" in table
        assert "user:&lt;b&gt;" in table

    def test_an_empty_trail_is_a_dash(self) -> None:
        assert status_change_table([]) == EMPTY

    def test_a_link_column_links_an_id_to_its_change_page(self) -> None:
        payer_id = uuid.uuid4()
        column = link_column(
            "admin:billing_payer_change", "payer_id", description="payer"
        )

        linked = column(None, SimpleNamespace(payer_id=payer_id))
        missing = column(None, SimpleNamespace(payer_id=None))

        assert linked == (
            f"<a href='/admin/billing/payer/{payer_id}/change/'>{payer_id}</a>"
        )
        assert missing == EMPTY

    def test_money_is_shown_formatted_and_terms_read_as_uuids(self) -> None:
        value = uuid.uuid4()

        assert money(_Amount()) == "1,250.00 RUB"
        assert as_uuid(str(value)) == value
        assert as_uuid("INV-1") is None


class TestReadOnlyAdmin:
    def test_nothing_is_added_changed_or_deleted(self) -> None:
        model_admin = ReadOnlyAdmin(Payer, site)
        request = RequestFactory().get("/")

        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.actions is None
