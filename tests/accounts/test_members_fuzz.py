"""The shop's members API holds up against generated input, as a member and as a
shop admin signed in with their JWT (see `tests/api_fuzzing.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tests.accounts.factories import UserFactory
from tests.api_fuzzing import ApiFuzzer, InProcessRequests, load_schema

# On PostgreSQL only: NUL bytes and integer overflow fail there and not on SQLite,
# while the answers' shapes do not depend on the database.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Five operations, two roles: the coverage cases alone are well over this.
MINIMUM_CASES_PER_ROLE = 100


class _Unlimited(dict[str, None]):
    def __missing__(self, scope: str) -> None:
        return None


@pytest.fixture
def in_process(
    settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    # The WSGI test client of schemathesis names this host; the fuzz asks far
    # more than the sign-up throttle allows.
    settings.ALLOWED_HOSTS = ["localhost"]
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", _Unlimited())
    with InProcessRequests():
        yield


@pytest.mark.usefixtures("in_process")
@pytest.mark.parametrize("shop_admin", [False, True])
def test_no_shop_operation_answers_a_server_error_or_out_of_shape(
    shop_admin: bool,
) -> None:
    """Every `shop` operation answers without a 5xx, in the error shape, as the
    schema says, and refuses once the JWT is taken away or spoiled."""
    caller = UserFactory.create(shop_admin=shop_admin)
    others = [str(user.id) for user in UserFactory.create_batch(2)]
    fuzzer = ApiFuzzer(
        schema=load_schema(),
        token=str(AccessToken.for_user(caller)),
        chosen={"member_id": [*others, str(caller.id)], "role": ["member", "admin"]},
        scheme="Bearer",
        tag="shop",
    )

    fuzzer.run()

    if fuzzer.report.failures:
        pytest.fail(fuzzer.report.summary(), pytrace=False)
    assert fuzzer.report.cases >= MINIMUM_CASES_PER_ROLE
