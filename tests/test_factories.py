"""Every model has a factory, and every factory makes a row the product could have
made: saved, and the books still proven by `check_ledger`."""

from __future__ import annotations

import io
from types import ModuleType

import factory
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from tests.accounts import factories as accounts_factories
from tests.billing import factories as billing_factories
from tests.payments import factories as payments_factories
from tests.snacks import factories as snacks_factories
from tests.subscriptions import factories as subscriptions_factories

FACTORY_MODULES: dict[str, ModuleType] = {
    "accounts": accounts_factories,
    "billing": billing_factories,
    "payments": payments_factories,
    "snacks": snacks_factories,
    "subscriptions": subscriptions_factories,
}


def _factories() -> list[type[factory.base.BaseFactory[models.Model]]]:
    return [
        value
        for module in FACTORY_MODULES.values()
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, factory.base.BaseFactory)
        and value.__module__ == module.__name__
        and not value._meta.abstract
        and isinstance(value._meta.model, type)
        and issubclass(value._meta.model, models.Model)
    ]


FACTORIES = _factories()


def test_every_model_of_the_apps_has_a_factory() -> None:
    made = {model_factory._meta.model for model_factory in FACTORIES}
    models_of_apps = {
        model
        for label in FACTORY_MODULES
        for model in apps.get_app_config(label).get_models()
    }

    assert models_of_apps - made == set()


@pytest.mark.django_db
@pytest.mark.usefixtures("fake_gateway")
@pytest.mark.parametrize(
    "model_factory", FACTORIES, ids=lambda model_factory: model_factory.__name__
)
def test_a_factory_makes_a_saved_row_that_keeps_the_books(
    model_factory: type[factory.base.BaseFactory[models.Model]],
) -> None:
    row = model_factory.create()

    assert type(row)._default_manager.filter(pk=row.pk).exists()
    if model_factory is not billing_factories.LedgerEntryFactory:
        call_command("check_ledger", stdout=io.StringIO())
