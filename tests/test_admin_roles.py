"""Who may use each action and page of the accounting desk (the Django admin): one
explicit table, checked against every action and extra page the billing, payments
and subscriptions admins define.

Every staff role reads (lists, reports, exports); only accounting (and superusers)
change anything in the admin: support works through the support API (SPEC §8, §9).
A new action or page fails here until the table says who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from accounts.models import User
from tests.billing.factories import InvoiceFactory
from tests.payments import staff
from tests.payments.factories import RefundRequestFactory, pay_by_card
from tests.subscriptions.factories import PlanFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

SUPPORT, ACCOUNTING, SUPERUSER = "support", "accounting", "superuser"
STAFF: Final = frozenset({SUPPORT, ACCOUNTING, SUPERUSER})
MONEY: Final = frozenset({ACCOUNTING, SUPERUSER})
_APPS: Final = ("billing", "payments", "subscriptions")

# (model label, action) → who may run it.
ACTIONS: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("payments.Discrepancy", "resolve"): MONEY,
    ("subscriptions.Plan", "migrate_subscribers"): MONEY,
    ("subscriptions.Subscription", "cancel_now"): MONEY,
    ("subscriptions.Subscription", "cancel_at_period_end"): MONEY,
    ("subscriptions.Subscription", "undo_cancellation"): MONEY,
    ("subscriptions.Subscription", "pause"): MONEY,
    ("subscriptions.Subscription", "resume"): MONEY,
    ("subscriptions.Subscription", "retry_now"): MONEY,
    ("subscriptions.Subscription", "forget_payers"): MONEY,
}

# (model label, extra page's route) → who may open it.
PAGES: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("billing.Invoice", "<path:object_id>/pdf/"): STAFF,
    ("billing.Invoice", "export/"): STAFF,
    ("billing.LedgerEntry", "trial-balance/"): STAFF,
    ("billing.LedgerEntry", "daily-totals/"): STAFF,
    ("billing.LedgerEntry", "export/"): STAFF,
    ("payments.Payment", "<path:object_id>/refund/"): MONEY,
    ("payments.Payment", "export/"): STAFF,
    ("payments.Refund", "export/"): STAFF,
    ("payments.RefundRequest", "<path:object_id>/approve/"): MONEY,
    ("payments.RefundRequest", "<path:object_id>/reject/"): MONEY,
    ("payments.ReconciliationRun", "reconcile/"): MONEY,
    ("subscriptions.Plan", "<path:object_id>/price/"): MONEY,
    ("subscriptions.Subscription", "forecast/"): STAFF,
}

_USERS: Final[dict[str, Callable[[], User]]] = {
    SUPPORT: staff.support,
    ACCOUNTING: staff.accounting,
    SUPERUSER: staff.superuser,
}


def _admins() -> dict[str, admin.ModelAdmin[Any]]:
    return {
        model._meta.label: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in _APPS
    }


def _extra_routes(label: str, model_admin: admin.ModelAdmin[Any]) -> set[str]:
    plain = {
        url.name for url in admin.ModelAdmin(model_admin.model, admin.site).get_urls()
    }
    return {str(url.pattern) for url in model_admin.get_urls() if url.name not in plain}


def _object_for(label: str) -> str:
    """The id of a row each object page can be opened for."""
    if label == "billing.Invoice":
        return str(InvoiceFactory.create().id)
    if label == "payments.Payment":
        return str(pay_by_card().id)
    if label == "payments.RefundRequest":
        return str(RefundRequestFactory.create().id)
    if label == "subscriptions.Plan":
        return str(PlanFactory.create().id)
    raise AssertionError(f"no object for {label}")


def test_the_table_names_every_action_and_page() -> None:
    admins = _admins()
    actions = {
        (label, name if isinstance(name, str) else name.__name__)
        for label, model_admin in admins.items()
        for name in model_admin.actions or []
    }
    pages = {
        (label, route)
        for label, model_admin in admins.items()
        for route in _extra_routes(label, model_admin)
    }
    assert actions == set(ACTIONS)
    assert pages == set(PAGES)


@pytest.mark.parametrize("role", sorted(_USERS))
@pytest.mark.parametrize(("label", "action"), sorted(ACTIONS))
def test_who_is_offered_each_action(role: str, label: str, action: str) -> None:
    request = RequestFactory().get("/admin/")
    request.user = _USERS[role]()

    offered = action in _admins()[label].get_actions(request)

    assert offered == (role in ACTIONS[(label, action)])


@pytest.mark.parametrize("role", sorted(_USERS))
@pytest.mark.parametrize(("label", "route"), sorted(PAGES))
def test_who_may_open_each_page(role: str, label: str, route: str) -> None:
    app, model = label.lower().split(".")
    path = (
        route.replace("<path:object_id>", _object_for(label)) if "<" in route else route
    )
    client = Client()
    client.force_login(_USERS[role]())

    response = client.get(f"/admin/{app}/{model}/{path}")

    allowed = role in PAGES[(label, route)]
    assert (response.status_code == 403) == (not allowed), response.status_code
    if allowed:
        assert response.status_code == 200
