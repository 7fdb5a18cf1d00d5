"""Fixtures for subscriptions tests: the in-memory gateway and a renewal clock."""

from __future__ import annotations

from tests.payments.conftest import fake_gateway

__all__ = ["fake_gateway"]
