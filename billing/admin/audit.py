"""The audit trail as a field of any admin page whose object's moves are audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.utils.safestring import SafeString

from billing import selectors
from kit.admin import status_change_table


def audit_trail_column(
    object_type: str, *, description: str = "audit trail"
) -> Callable[[Any, Any], SafeString | str]:
    """A read-only field showing every status change of the object, oldest first
    (`object_type` as `record_status_change` was told: "payer", "payment_method" …)."""

    @admin.display(description=description)
    def column(modeladmin: Any, obj: Any) -> SafeString | str:
        return status_change_table(
            selectors.audit_trail(object_type=object_type, object_id=obj.pk)
        )

    return column
