"""Who may call each operation of the HTTP API: one explicit table, checked against
every operation the URLconf routes under /api/ (and the admin's action forms).

A new view, method or money-moving input fails here until the table says who may
use it. Support reads everything, cancels, resumes and retries; only accounting
(and superusers) move money (SPEC §9).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
from django import forms
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import User
from tests.payments import staff

pytestmark = pytest.mark.django_db

WRITE_METHODS: Final = ("post", "put", "patch", "delete")
JSON: Final = "application/json"

ANONYMOUS, MEMBER, TOKEN = "anonymous", "member", "token"
SUPPORT, ACCOUNTING, SUPERUSER = "support", "accounting", "superuser"
CALLERS: Final = (ANONYMOUS, MEMBER, TOKEN, SUPPORT, ACCOUNTING, SUPERUSER)
STAFF: Final = frozenset({SUPPORT, ACCOUNTING, SUPERUSER})
MONEY: Final = frozenset({ACCOUNTING, SUPERUSER})
EVERYONE: Final = frozenset(CALLERS)
SIGNED_IN: Final = EVERYONE - {ANONYMOUS}
# Shop admins hold `accounts`' shop role; no caller of this table does (billing's
# staff roles give no shop rights), so their operations are tested with one in
# tests/snacks/.
SHOP_ADMINS: Final[frozenset[str]] = frozenset()

# Every write operation of the API: (URL name, method) → who may call it.
WRITE_OPERATIONS: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("subscriptions-api:subscription-cancel", "POST"): STAFF,
    ("subscriptions-api:subscription-undo-cancellation", "POST"): STAFF,
    ("subscriptions-api:subscription-pause", "POST"): STAFF,
    ("subscriptions-api:subscription-resume", "POST"): STAFF,
    ("subscriptions-api:subscription-retry", "POST"): STAFF,
    # Support changes plans; an upgrade charges now, which takes `charge_now`.
    ("subscriptions-api:subscription-change-plan", "POST"): STAFF,
    # Forgetting a payer (privacy) is accounting's: support may only read.
    ("subscriptions-api:payer-forget", "POST"): MONEY,
    ("subscriptions-api:checkout-session-create", "POST"): STAFF | {TOKEN},
    # The refund desk: support files refund requests; refunding and deciding on a
    # request move money (and the requester never decides: tests/payments/).
    ("payments-api:payment-refund", "POST"): MONEY,
    ("payments-api:refund-request-list", "POST"): STAFF,
    ("payments-api:refund-request-approve", "POST"): MONEY,
    ("payments-api:refund-request-reject", "POST"): MONEY,
    # Reconciliation: accounting queues a day's run and resolves what it found.
    ("payments-api:reconciliation-run-list", "POST"): MONEY,
    ("payments-api:discrepancy-resolve", "POST"): MONEY,
    # Signing in and out of the browsable API (Django's form views take PUT too).
    ("rest_framework:login", "POST"): EVERYONE,
    ("rest_framework:login", "PUT"): EVERYONE,
    ("rest_framework:logout", "POST"): EVERYONE,
    # End users' tokens: the e-mail and password, or the refresh token, are the
    # credentials.
    ("auth-token", "POST"): EVERYONE,
    ("auth-token-refresh", "POST"): EVERYONE,
    # The shop's members (JWT bearer; the shop's roles, not billing's): anyone
    # signs up; a member's own resign needs a member's JWT, which no caller
    # here holds, as does promoting (a shop admin's).
    ("shop-members", "POST"): EVERYONE,
    ("shop-member-resign", "POST"): frozenset(),
    ("shop-member-promote", "POST"): frozenset(),
    # The snack shop: shop admins manage the shelf; any signed-in user reacts.
    ("shop-api:snack-list", "POST"): SHOP_ADMINS,
    ("shop-api:snack-detail", "PATCH"): SHOP_ADMINS,
    ("shop-api:snack-retire", "POST"): SHOP_ADMINS,
    ("shop-api:snack-reaction", "POST"): SIGNED_IN,
    # Orders: any signed-in user places, changes and moves their own orders and
    # asks for their hold. Which moves a member may make (only canceling) is the
    # order flow's rule, checked per target status (tests/snacks/test_order_flow.py).
    ("shop-api:order-list", "POST"): SIGNED_IN,
    ("shop-api:order-detail", "PATCH"): SIGNED_IN,
    ("shop-api:order-status", "POST"): SIGNED_IN,
    ("shop-api:order-hold", "POST"): SIGNED_IN,
}

# Inputs that move money when set: (URL name, method, field) → who may set them,
# and a body that sets the field.
MONEY_INPUTS: Final[
    dict[tuple[str, str, str], tuple[frozenset[str], dict[str, Any]]]
] = {
    ("subscriptions-api:subscription-cancel", "POST", "refund_unused"): (
        MONEY,
        {"at_period_end": False, "refund_unused": True},
    ),
    ("subscriptions-api:subscription-change-plan", "POST", "charge_now"): (
        MONEY,
        {"plan": "premium", "charge_now": True},
    ),
}

# Fields of the admin's forms that move money when set: (form, field).
MONEY_ADMIN_FIELDS: Final = {
    ("subscriptions.admin._subscriptions.CancelNowForm", "refund_unused"),
}
_ADMIN_MODULES: Final = ("billing.admin", "payments.admin", "subscriptions.admin")

# Names of inputs that would move money; each must be a money input above.
_MONEY_WORDS: Final = re.compile(r"refund|charge|capture|void|payout", re.IGNORECASE)


def _operations() -> Iterator[tuple[str, str, type]]:
    """(URL name, method, view class) of every write operation under /api/."""
    yield from _walk(get_resolver().url_patterns, prefix="", namespace="")


def _walk(
    patterns: list[URLPattern | URLResolver], *, prefix: str, namespace: str
) -> Iterator[tuple[str, str, type]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from _walk(pattern.url_patterns, prefix=route, namespace=inner)
            continue
        if not route.startswith("api/"):
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is None:
            # A plain function: its methods are unknown, so it is never left out.
            yield f"{namespace}{pattern.name}", "ANY", type(None)
            continue
        for method in WRITE_METHODS:
            if method in view_class.http_method_names and hasattr(view_class, method):
                yield f"{namespace}{pattern.name}", method.upper(), view_class


def _input_serializers(view_class: type) -> list[type[serializers.Serializer[Any]]]:
    return [
        value
        for klass in view_class.__mro__
        for value in vars(klass).values()
        if isinstance(value, type) and issubclass(value, serializers.Serializer)
    ]


def _admin_forms() -> Iterator[type[forms.BaseForm]]:
    """Every form class the apps' admin modules define (loaded by the admin)."""
    pending = [forms.BaseForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith(_ADMIN_MODULES):
            yield form


def _url(name: str) -> str:
    """The operation's URL, with a fresh UUID for its path parameter if it has one."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, args=[str(uuid.uuid4())])


_USERS: Final[dict[str, Callable[[], User]]] = {
    MEMBER: staff.member,
    SUPPORT: staff.support,
    ACCOUNTING: staff.accounting,
    SUPERUSER: staff.superuser,
}


def _client(caller: str) -> APIClient:
    client = APIClient()
    if caller == TOKEN:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.member())}"
        )
    elif caller != ANONYMOUS:
        client.force_login(_USERS[caller]())
    return client


def _refused(response: Any) -> bool:
    if response.status_code not in (401, 403):
        return False
    assert set(response.json()) == {"code", "message", "extra"}
    return True


class TestTheRoleTable:
    def test_names_every_write_operation_of_the_api(self) -> None:
        """A new operation is refused here until the table says who may call it."""
        found = {(name, method) for name, method, _ in _operations()}

        assert found == set(WRITE_OPERATIONS)

    def test_names_every_input_that_moves_money(self) -> None:
        """Inputs marked as moving money are those in the table, and no input
        whose name speaks of moving money is left unmarked."""
        marked, suspicious = set(), set()
        for name, method, view_class in _operations():
            for serializer in _input_serializers(view_class):
                for field_name, field in serializer().fields.items():
                    if getattr(field, "moves_money", False):
                        marked.add((name, method, field_name))
                    elif _MONEY_WORDS.search(field_name):
                        suspicious.add((name, method, field_name))

        assert marked == set(MONEY_INPUTS)
        assert suspicious == set()

    def test_names_every_admin_form_field_that_moves_money(self) -> None:
        """The admin's forms follow the same rule as the API's inputs."""
        marked, suspicious = set(), set()
        for form in _admin_forms():
            fields: dict[str, forms.Field] = getattr(form, "base_fields", {})
            for field_name, field in fields.items():
                key = (f"{form.__module__}.{form.__qualname__}", field_name)
                if getattr(field, "moves_money", False):
                    marked.add(key)
                elif _MONEY_WORDS.search(field_name):
                    suspicious.add(key)

        assert marked == MONEY_ADMIN_FIELDS
        assert suspicious == set()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("name", "method"), sorted(WRITE_OPERATIONS))
def test_each_operation_answers_only_whom_the_table_allows(
    name: str, method: str, caller: str
) -> None:
    """Allowed callers get past the permission check (a 2xx, 3xx, 400 or 404 for
    an empty body and an unknown id); everyone else a 401/403 in the error shape."""
    client = _client(caller)

    response = client.generic(method, _url(name), "{}", content_type=JSON)

    assert _refused(response) == (caller not in WRITE_OPERATIONS[name, method])


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("name", "method", "field"), sorted(MONEY_INPUTS))
def test_each_money_input_is_refused_to_all_but_the_money_roles(
    name: str, method: str, field: str, caller: str
) -> None:
    """Setting the input takes a money role; support gets `permission_denied`."""
    allowed, body = MONEY_INPUTS[name, method, field]
    client = _client(caller)

    response = client.generic(method, _url(name), json.dumps(body), content_type=JSON)

    assert _refused(response) == (caller not in allowed)
    if caller == SUPPORT:
        assert response.json()["code"] == "permission_denied"
        assert response.json()["extra"]["fields"] == [field]
