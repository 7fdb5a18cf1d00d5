"""The shop's order operations hold up against generated input, about real orders
in every status, as their member, as another member and as a shop admin (see
`tests/api_fuzzing.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from snacks.models import OrderStatus
from tests.accounts.factories import UserFactory
from tests.api_fuzzing import ApiFuzzer, InProcessRequests, load_schema
from tests.snacks.order_scenarios import ORDER_OPERATIONS, order_in

# On PostgreSQL only: NUL bytes and integer overflow fail there and not on SQLite,
# while the answers' shapes do not depend on the database.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Six operations with inputs, three callers: the coverage cases alone pass this.
MINIMUM_CASES_PER_CALLER = 100


@pytest.fixture
def in_process(settings: LazySettings) -> Iterator[None]:
    # The WSGI test client of schemathesis names this host.
    settings.ALLOWED_HOSTS = ["localhost"]
    with InProcessRequests():
        yield


@pytest.mark.usefixtures("in_process")
@pytest.mark.parametrize("caller", ["member", "other member", "admin"])
def test_no_order_operation_answers_a_server_error_or_out_of_shape(
    caller: str,
) -> None:
    """Every order operation answers without a 5xx, in the error shape, as the
    schema says, whatever the order's status and whoever asks."""
    admin = UserFactory.create(shop_admin=True)
    orders = [order_in(status, admin=admin) for status in OrderStatus.values]
    member: User = orders[0].member
    callers = {"member": member, "other member": orders[1].member, "admin": admin}
    fuzzer = ApiFuzzer(
        schema=load_schema(),
        token=str(AccessToken.for_user(callers[caller])),
        chosen={
            "order_id": [str(order.id) for order in orders],
            "member": [str(order.member_id) for order in orders],
            "status": OrderStatus.values,
            "grain": ["year", "month", "day"],
        },
        scheme="Bearer",
        operation_ids=ORDER_OPERATIONS,
    )

    fuzzer.run()

    if fuzzer.report.failures:
        pytest.fail(fuzzer.report.summary(), pytrace=False)
    assert fuzzer.report.cases >= MINIMUM_CASES_PER_CALLER
