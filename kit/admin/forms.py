"""Forms the admin's pages share."""

from __future__ import annotations

from typing import Any

from django import forms


class DateRangeForm(forms.Form):
    """A range of days, both included; the end may not come before the start."""

    starts = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    ends = forms.DateField(
        label="To (included)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", "The range ends before it starts.")
        return cleaned
