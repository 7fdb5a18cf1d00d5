"""Fixtures for payments tests: the in-memory gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payments.gateways import get_gateway, reset_gateways
from payments.gateways.fake import FakeGateway


@pytest.fixture
def fake_gateway() -> Iterator[FakeGateway]:
    """A fresh in-memory gateway, the one `get_gateway("fake")` returns."""
    reset_gateways()
    gateway = get_gateway("fake")
    assert isinstance(gateway, FakeGateway)
    yield gateway
    reset_gateways()
