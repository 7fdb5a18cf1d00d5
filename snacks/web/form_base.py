"""What every form of the shop's pages shares: accessible errors, and a service's
refusal shown next to the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms

from kit.errors import DomainError


class AccessibleErrors(forms.Form):
    """A form whose invalid fields say so to screen readers (`aria-invalid`) and
    point at their errors and hints (`aria-describedby`)."""

    def full_clean(self) -> None:
        super().full_clean()
        self.describe_fields()

    def describe_fields(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}_hint")
            if name in self.errors:
                described.append(f"{bound.auto_id}_errors")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


class ShopForm(AccessibleErrors):
    """A form of the shop's pages."""

    def add_refusal(self, error: DomainError) -> None:
        """A service's refusal, on the fields it names (`extra.fields`) or on the
        form as a whole, in the service's own words."""
        extra: dict[str, Any] = dict(error.extra or {})
        fields = extra.get("fields")
        placed = False
        if isinstance(fields, dict):
            for name, messages in fields.items():
                target = name if name in self.fields else None
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(target, str(message))
                    placed = True
        if not placed:
            self.add_error(None, error.message)
        self.describe_fields()
