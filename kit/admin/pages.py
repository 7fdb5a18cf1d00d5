"""Admin pages that call a service: a form, or a confirmation of an action.

Shared by every app's admin (the template is the kit's, `admin/kit/service_page.html`).

An action that changes state never runs from the changelist's first click: it shows
what it will do to which rows, and asks; a field that moves money (a refund) is
refused, for every row, to staff outside the money roles. The confirmed action calls
its service once per row, with the time and the staff member as actor, and reports
each outcome as a message; a refused row (a domain error) is reported, never a 500,
and the other rows still go ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from kit.actors import staff_actor
from kit.admin.money_fields import refuse_money_fields
from kit.errors import DomainError

PAGE_TEMPLATE: Final = "admin/kit/service_page.html"
# A confirmed action runs its service once per row inside one request.
MAX_ROWS_PER_ACTION: Final = 100
_CONFIRMED: Final = "confirmed"

Row = TypeVar("Row", bound=Model)


def service_page(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    title: str,
    form: forms.Form,
    submit: str,
    intro: str = "",
    obj: Model | None = None,
    rows: Sequence[str] = (),
    hidden: Sequence[tuple[str, str]] = (),
) -> TemplateResponse:
    """A page with a form (and the rows it is about) that posts back to itself."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": title,
        "intro": intro,
        "original": obj,
        "form": form,
        "rows": rows,
        "hidden": hidden,
        "submit": submit,
    }
    return TemplateResponse(request, PAGE_TEMPLATE, context)


def confirm_then_apply(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Row],
    *,
    title: str,
    clock: Callable[[], dt.datetime],
    apply: Callable[[Row, dict[str, Any], dt.datetime, str], str],
    form_class: type[forms.Form] = forms.Form,
    describe: Callable[[Row], str] = str,
) -> TemplateResponse | None:
    """Ask, then `apply(row, form data, now, actor)` to each row; it returns the
    message to show, or raises a DomainError that is shown instead. `now` is read
    from `clock` once, when the action is confirmed (the app's own clock).

    Returns the confirmation page, or None to go back to the changelist.
    """
    rows = list(queryset[: MAX_ROWS_PER_ACTION + 1])
    if len(rows) > MAX_ROWS_PER_ACTION:
        modeladmin.message_user(
            request,
            f"Select at most {MAX_ROWS_PER_ACTION} rows for this action.",
            messages.WARNING,
        )
        return None
    confirmed = _CONFIRMED in request.POST
    form = form_class(request.POST if confirmed else None)
    # Checked before any row is touched: a refused money field applies nothing.
    if not (
        confirmed and form.is_valid() and not refuse_money_fields(form, request.user)
    ):
        hidden = [
            ("action", request.POST.get("action", "")),
            (_CONFIRMED, "yes"),
            *((helpers.ACTION_CHECKBOX_NAME, str(row.pk)) for row in rows),
        ]
        return service_page(
            modeladmin,
            request,
            title=title,
            intro=f"{title}: {len(rows)} selected. Are you sure?",
            form=form,
            submit="Yes, I'm sure",
            rows=[describe(row) for row in rows],
            hidden=hidden,
        )
    now, actor = clock(), staff_actor(request)
    for row in rows:
        try:
            outcome = apply(row, form.cleaned_data, now, actor)
        except DomainError as error:
            modeladmin.message_user(
                request, f"{describe(row)}: {error.message}", messages.ERROR
            )
        else:
            modeladmin.message_user(request, outcome, messages.SUCCESS)
    return None


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: on the fields it names, else on top."""
    fields = error.extra.get("fields")
    named = (
        {name: problem for name, problem in fields.items() if name in form.fields}
        if isinstance(fields, dict)
        else {}
    )
    for name, problem in named.items():
        form.add_error(name, str(problem))
    if not named:
        form.add_error(None, error.message)
