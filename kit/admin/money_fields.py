"""Admin form fields that move money, and the rule that only the money roles may
set them.

The admin's own permissions decide who may run an action; setting one of these
fields (a refund with a cancellation) also takes a money role
(`settings.API_MONEY_ROLES`), whatever permissions a user has been granted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from kit.api.permissions import may_move_money, money_roles_text


class MovesMoneyBooleanField(forms.BooleanField):
    """A checkbox that moves money when ticked."""

    moves_money: ClassVar[bool] = True


def refuse_money_fields(form: forms.Form, user: Any) -> bool:
    """Mark each money field that `user` set without a money role as an error.

    Call it on a valid form; returns whether anything was refused (the form is
    then invalid and nothing may be applied).
    """
    if may_move_money(user):
        return False
    refused = [
        name
        for name, field in form.fields.items()
        if getattr(field, "moves_money", False) and form.cleaned_data.get(name)
    ]
    for name in refused:
        form.add_error(name, money_roles_text())
    return bool(refused)
